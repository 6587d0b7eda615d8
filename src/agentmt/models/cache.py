"""A content-addressed on-disk cache of model answers, safe with concurrent writers.

Key = sha256 of the canonical JSON of everything that determines an answer (model, messages,
sampling parameters). One small JSON file per key under `<dir>/<first two hex>/`, written by atomic
rename, so concurrent writers of the same key leave one complete file and readers never see a torn one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentmt.hashing import sha256_json
from agentmt.io import atomic_write_text


def make_cache_key(**parts: Any) -> str:
    """sha256 hex of the parts as canonical JSON (sorted keys, no whitespace variance)."""
    return sha256_json(parts)


class ResponseCache:
    """Maps a cache key to the raw text a model answered."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> str | None:
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (ValueError, OSError):
            return None  # unreadable entry: treat as a miss; the next put replaces it
        text = data.get("text") if isinstance(data, dict) else None
        return text if isinstance(text, str) else None

    def put(self, key: str, text: str, **meta: Any) -> None:
        atomic_write_text(self._path(key), json.dumps({"text": text, **meta}, ensure_ascii=False) + "\n")
