"""Rewrite every golden file under tests/ from the current code, then show what changed.

Usage: .venv/bin/python scripts/update_goldens.py [pytest args...]
Runs, with AGENTMT_UPDATE_GOLDEN=1, each test module that compares against a golden file (those
calling `check_golden`, `check_text` or `check_json` from tests/goldens.py), and prints
`git diff --stat` of the golden folders. Review the diff before committing it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
USES_GOLDEN = re.compile(r"\b(check_golden|check_text|check_json)\(")


def golden_test_files() -> list[str]:
    files = sorted((ROOT / "tests").rglob("test_*.py"))
    return [str(f.relative_to(ROOT)) for f in files if USES_GOLDEN.search(f.read_text(encoding="utf-8"))]


def main() -> int:
    files = golden_test_files()
    print("updating goldens of:", *files, sep="\n  ")
    env = {**os.environ, "AGENTMT_UPDATE_GOLDEN": "1"}
    rc = subprocess.call([sys.executable, "-m", "pytest", "-q", *files, *sys.argv[1:]], cwd=ROOT, env=env)
    subprocess.call(["git", "diff", "--stat", "--", "tests/*/golden"], cwd=ROOT)
    return rc


if __name__ == "__main__":
    sys.exit(main())
