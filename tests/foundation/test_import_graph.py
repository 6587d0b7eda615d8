"""agentmt's subpackages and top-level modules form layers: no import cycle between them.

The graph is read from the source with `ast`, function-level imports included (a lazy import is still
a dependency: it only moves the failure to the call). A node is a subpackage (`agentmt.corpus`) or a
top-level module (`agentmt.config`); an edge A -> B means some file of A imports something of B.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import agentmt

ROOT = Path(agentmt.__file__).parent

PACKAGES = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
MODULES = {p.stem for p in ROOT.glob("*.py") if p.stem != "__init__"}
NODES = PACKAGES | MODULES


def import_graph() -> dict[tuple[str, str], list[str]]:
    """(importer, imported) -> ["file:line", ...] for every agentmt import between two nodes."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        src = rel.parts[0] if len(rel.parts) > 1 else path.stem
        if src == "__init__":
            continue  # agentmt/__init__.py is the package itself, not a layer
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Import):
                names = [a.name for a in n.names]
            elif isinstance(n, ast.ImportFrom) and n.level == 0 and n.module:
                names = [n.module] if n.module != "agentmt" else [f"agentmt.{a.name}" for a in n.names]
            else:
                continue  # relative imports stay inside one package
            for name in names:
                parts = name.split(".")
                if parts[0] == "agentmt" and len(parts) > 1 and parts[1] != src and parts[1] in NODES:
                    edges[(src, parts[1])].append(f"{rel}:{n.lineno}")
    return edges


def find_cycle(edges) -> list[str] | None:
    """One cycle of the graph as [a, b, ..., a], or None."""
    succ: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        succ[a].add(b)
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(v: str, path: list[str]) -> list[str] | None:
        state[v] = 1
        for w in sorted(succ[v]):
            if state.get(w) == 1:
                return path[path.index(w):] + [w]
            if w not in state and (found := visit(w, [*path, w])):
                return found
        state[v] = 2
        return None

    for v in sorted(succ):
        if v not in state and (found := visit(v, [v])):
            return found
    return None


def test_graph_sees_function_level_imports():
    edges = import_graph()
    # pipeline/stages.py imports every library stage inside its stage functions only
    assert ("pipeline", "training") in edges and ("cli", "pipeline") in edges
    # top-level modules are nodes too: corpus redaction borrows the floor's secret patterns
    assert ("corpus", "secrets") in edges and ("config", "secrets") in edges


def test_find_cycle_reports_a_cycle():
    assert find_cycle({("a", "b"): [], ("b", "c"): [], ("c", "a"): [], ("c", "d"): []}) == ["a", "b", "c", "a"]
    assert find_cycle({("a", "b"): [], ("b", "c"): []}) is None


def test_no_import_cycle_between_subpackages_and_modules():
    edges = import_graph()
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle " + " -> ".join(cycle) + ": " + "; ".join(
        f"{a}->{b} at {', '.join(edges[(a, b)][:3])}" for a, b in zip(cycle, cycle[1:]))
