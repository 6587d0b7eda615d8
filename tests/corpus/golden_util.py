"""Golden-file comparison; `python scripts/update_goldens.py` rewrites the files."""

from __future__ import annotations

from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    from goldens import check_text  # tests/goldens.py: one update script for every golden

    check_text(GOLDEN / name, text)
