"""Golden-file comparison; `UPDATE_GOLDEN=1 pytest tests/corpus` rewrites the files."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run UPDATE_GOLDEN=1 pytest tests/corpus"
    assert text == path.read_text(encoding="utf-8"), f"{name} changed: rerun with UPDATE_GOLDEN=1 if intended"
