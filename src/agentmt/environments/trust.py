"""One trust-ordered source per requirement: when two files name one package, one file's lines win.

Trust order, most trusted first (`source_rank`):
  1. CI workflows: what the project's CI really installs (with the requirement files, extras and
     dependency groups its commands name);
  2. tox.ini, then 3. noxfile.py: the same, for the project's own local test runner;
  4. pyproject.toml: declared metadata (PEP 621 dependencies and extras, PEP 735 groups, Poetry,
     Hatch, PDM);
  5. test requirement files found by their name (requirements-dev.txt, requirements/test.txt):
     the developers' environment, kept current because developers use it;
  6. setup.cfg, then 7. setup.py: `tests_require` is read only by `setup.py test` (deprecated
     since setuptools 41.5), so it is the first to go stale;
  8. a top-level requirements.txt: an application's pinned runtime set, below the package's ranges.
Guarantee of `pick_trusted`: for each package name, every kept line comes from one source, the most
trusted one that constrains its version (a bare name constrains nothing); lines of other sources
that constrain it differently are dropped and returned as conflicts, never unioned with the winner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RANKS = (
    (re.compile(r"^\.github/workflows/"), 1),
    (re.compile(r"^tox\.ini$"), 2),
    (re.compile(r"^noxfile\.py$"), 3),
    (re.compile(r"^pyproject\.toml$"), 4),
    (re.compile(r"^setup\.cfg$"), 6),
    (re.compile(r"^setup\.py$"), 7),
    (re.compile(r"^requirements\.txt$"), 8),
)
_REQUIREMENTS_FILE = 5


@dataclass(slots=True)
class Requirement:
    line: str  # as the source wrote it
    source: str  # the file that makes the project install it (see the trust order)
    test: bool  # a test dependency (else a runtime one)


def source_rank(source: str) -> int:
    """The trust rank of a source (1 = most trusted); any other requirements file ranks 5, and one
    that a command names ("requirements/ci.txt via tox.ini") ranks as the file naming it."""
    path = source.rsplit(" via ", 1)[-1]
    return next((rank for pattern, rank in _RANKS if pattern.search(path)), _REQUIREMENTS_FILE)


def requirement_name(line: str) -> str:
    """The normalised distribution name of a requirement line (PEP 503)."""
    return re.sub(r"[-_.]+", "-", re.split(r"[\s<>=!~;\[@(]", line.strip(), maxsplit=1)[0]).lower()


def version_spec(line: str) -> str:
    """The requirement's version constraint, normalised ("" for a bare name or an unparsable line)."""
    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement as Parsed

    try:
        spec = Parsed(line).specifier
    except InvalidRequirement:
        return ""
    return ",".join(sorted(str(s) for s in spec))


def pick_trusted(reqs: list[Requirement]) -> tuple[list[Requirement], list[dict[str, str]]]:
    """(kept requirements in their given order, conflicts) per the module's guarantee; a conflict is
    {name, kept, kept_from, dropped, dropped_from}."""
    by_name: dict[str, list[Requirement]] = {}
    for r in reqs:
        by_name.setdefault(requirement_name(r.line), []).append(r)
    winner: dict[str, str] = {}
    conflicts: list[dict[str, str]] = []
    for name, group in by_name.items():
        ordered = sorted(group, key=lambda r: source_rank(r.source))  # stable: given order within a rank
        constraining = [r for r in ordered if version_spec(r.line)]
        best = (constraining or ordered)[0]
        winner[name] = best.source
        seen: set[tuple[str, str]] = set()
        for r in constraining:
            spec = version_spec(r.line)
            if r.source != best.source and spec != version_spec(best.line) and (r.source, spec) not in seen:
                seen.add((r.source, spec))
                conflicts.append({"name": name, "kept": best.line, "kept_from": best.source,
                                  "dropped": r.line, "dropped_from": r.source})
    kept = [r for r in reqs if winner[requirement_name(r.line)] == r.source]
    return kept, conflicts
