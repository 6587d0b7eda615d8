"""The one content hash of agentmt: sha256 over canonical JSON.

Canonical: sorted keys, no whitespace, non-ASCII kept as is, non-JSON values (paths, dates) as str, so
equal data hashes equally whatever the dict order or the process. Used for stage fingerprints, image
tags and the model-answer cache key.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def sha256_json(data: Any, length: int | None = None) -> str:
    """Hex sha256 of `data`'s canonical JSON, cut to `length` characters when given."""
    digest = hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()
    return digest[:length] if length else digest


def sha256_file(path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes, read in chunks (inputs without a manifest)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
