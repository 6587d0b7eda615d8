"""Golden files: compared, never written by a test run, except through `scripts/update_goldens.py`.

That script sets AGENTMT_UPDATE_GOLDEN=1 and reruns every test that calls `check_text` or
`check_json`; review the diff it prints before committing. A missing golden fails the test.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

UPDATE_ENV = "AGENTMT_UPDATE_GOLDEN"
HOW = "python scripts/update_goldens.py"


def updating() -> bool:
    return os.environ.get(UPDATE_ENV) == "1"


def check_text(path: Path, text: str) -> None:
    """`text` equals the golden file at `path` (rewritten instead under the update script)."""
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run `{HOW}` and review the diff"
    assert text == path.read_text(encoding="utf-8"), f"{path.name} changed: if intended, run `{HOW}`"


def check_json(path: Path, data: Any, compare: Callable[[Any, Any], None]) -> None:
    """`compare(data, golden)` holds for the JSON golden at `path` (rewritten under the update script)."""
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run `{HOW}` and review the diff"
    compare(data, json.loads(path.read_text(encoding="utf-8")))
