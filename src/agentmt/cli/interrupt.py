"""The one line a Ctrl-C prints: what finished work was kept, and the command that resumes it."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

INTERRUPTED_EXIT = 130  # what a shell reports for a process ended by SIGINT (128 + 2)


def out_dir_of(argv: list[str]) -> Path | None:
    """The --out/-o folder named on the command line, if any (the last one wins, as in click)."""
    found = None
    for i, arg in enumerate(argv):
        if arg in ("--out", "-o") and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--out="):
            found = arg.split("=", 1)[1]
    return Path(found) if found else None


def _finished_units(out: Path) -> int:
    """Completion markers under `out` (the runner's `.done` folders, a pipeline's stages included)."""
    from agentmt import io

    if not out.is_dir():
        return 0
    return sum(1 for done in [out / io.DONE_DIR, *out.glob(f"*/{io.DONE_DIR}")] if done.is_dir()
               for m in done.iterdir() if m.is_file() and not m.name.startswith("."))


def interrupted_message(argv: list[str]) -> str:
    """`agentmt: interrupted: ...` naming the kept units (if any) and the rerun command."""
    program = argv[0] if os.path.basename(argv[0]) == "agentmt" else "agentmt"  # .venv/bin/agentmt stays so
    rerun = shlex.join([program, *argv[1:]])
    out = out_dir_of(argv)
    n = _finished_units(out) if out else 0
    kept = (f"{n} finished unit{'s' if n != 1 else ''} kept in {out} (unfinished ones are redone)" if n
            else "finished work is kept")
    return f"agentmt: interrupted: {kept}; to resume, rerun: {rerun}"
