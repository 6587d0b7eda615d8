"""ETag cache on disk: a rerun asks `If-None-Match` and a 304 (free under GitHub's rate limit)
returns the stored body. One JSON file per URL, written atomically, so a killed run leaves
either the old entry or the new one."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from agentmt import io


class ETagCache:
    def __init__(self, folder: str | Path | None):
        self.folder = Path(folder) if folder else None

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")

    def get(self, key: str) -> tuple[str, Any] | None:
        """(etag, body) stored for `key`, or None."""
        if self.folder is None:
            return None
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
            return entry["etag"], entry["body"]
        except (OSError, ValueError, KeyError):
            return None  # absent or unreadable: ask without a validator

    def put(self, key: str, etag: str, body: Any) -> None:
        if self.folder is not None and etag:
            io.atomic_write_text(self._path(key), json.dumps({"key": key, "etag": etag, "body": body}))
