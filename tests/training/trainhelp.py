"""Test helpers: tiny D_ctx and D_env rows in the contracts' schemas, config builders."""

from __future__ import annotations

from pathlib import Path

from agentmt.types import Trajectory

GOLDEN = Path(__file__).parent / "golden"

_CODE = [
    "def add(a, b):\n    return a + b\n",
    "class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, x):\n        self.items.append(x)\n",
    "import os\n\n\ndef home():\n    return os.path.expanduser('~')\n",
    "def divide(a, b):\n    if b == 0:\n        raise ZeroDivisionError('division by zero')\n    return a / b\n",
]


def ctx_rows(fmt: str, n: int) -> list[dict]:
    rows = []
    for i in range(n):
        code = _CODE[i % len(_CODE)]
        if fmt == "py":
            text = (
                f"# Repository Context\nagentmt-demo/calc\n\n# Pull Request\n## Fix #{i}\nThis PR fixes bug {i}.\n\n"
                f"# Relevant Files Found\n## calc/mod{i}.py\n```python\n{code}```\n\n# Edits\n"
                f"calc/mod{i}.py\n<<<<<<< SEARCH\n{code}=======\n{code}    # checked\n>>>>>>> REPLACE\n"
            )
        else:
            text = (
                f"<pr>\n<title>Change {i}</title>\n<file path=\"calc/mod{i}.py\">\n{code}</file>\n"
                f"<commit>\n<message>Tidy module {i}</message>\n<diff>\n+{code.splitlines()[0]}\n</diff>\n</commit>\n</pr>\n"
            )
        rows.append(
            {
                "text": text, "id": f"agentmt-demo/calc#{i}:{fmt}", "repo": "agentmt-demo/calc", "pr_number": i,
                "format": fmt, "num_tokens": len(text) // 3, "base_sha": f"{i:040x}", "head_sha": f"{i + 1:040x}",
            }
        )
    return rows


def load_trajectory() -> Trajectory:
    from agentmt.sources.demo.trajectories import load_fixture_trajectory

    return load_fixture_trajectory()


def write_env(folder: Path) -> Path:
    """Four trajectories in the D_env schema: two resolved (the fixture), two failed (shortened)."""
    from agentmt.sources.demo.trajectories import write_fixture_trajectories

    write_fixture_trajectories(folder, num_runs=4)
    return folder


def write_yaml(path: Path, data: dict) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(data))
    return path


def mt_config(data_dirs: dict, model: Path, out: Path, **over) -> dict:
    """A two-stage MT config over the fixture folders, tiny sizes."""
    cfg = {
        "model": str(model), "data_root": str(data_dirs["root"]), "output_dir": str(out), "seq_len": 64,
        "global_batch_size": 2, "micro_batch_size": 1, "learning_rate": 1e-3, "warmup_ratio": 0.0,
        "precision": "fp32", "gradient_checkpointing": False, "max_steps": 3, "save_steps": 2, "seed": 0,
        "stages": [
            {"name": "s1", "sources": [{"path": "ctx-gen", "kind": "ctx"}]},
            {"name": "s2", "sources": [
                {"path": "ctx-py", "kind": "ctx"},
                {"path": "env", "kind": "env", "repeat": 3.0, "where": {"resolved": True}},
                {"path": "env", "kind": "env", "repeat": 1.0, "where": {"resolved": False}},
            ]},
        ],
    }
    cfg.update(over)
    return cfg
