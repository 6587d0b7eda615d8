"""A refused start leaves no output folder: the folder this run created is removed if nothing was written."""

from __future__ import annotations

import shutil
from pathlib import Path

from agentmt import io
from agentmt.runner import STAGE_FILE

# What a stage writes before its first unit runs: bookkeeping, not output.
_BOOKKEEPING = {STAGE_FILE}


def remove_if_unwritten(out: Path | None) -> bool:
    """Remove `out` (a folder this run created) when it holds no file but bookkeeping; True if removed."""
    if out is None or not out.is_dir():
        return False
    for p in out.rglob("*"):
        if p.is_file() and not (p.name in _BOOKKEEPING or (p.parent.name == io.DONE_DIR and p.name.endswith(".tmp"))):
            return False
    shutil.rmtree(out, ignore_errors=True)
    return True
