"""Licence judging: a permissive allowlist (as the released D_ctx used) over the licence recorded per repository.

The licence comes from repo.json / the GitHub API (`license.spdx_id`) when metadata is joined, else from
the repository's LICENSE file, identified by `identify` (pre-commit's SPDX matcher: exact text or under 5%
edit distance from a choosealicense.com text). Unknown licences are kept unless `require_known` is set,
so a corpus mined without metadata is not silently emptied; the manifest counts them either way.
"""

from __future__ import annotations

import os
import tempfile

# Permissive licences (SPDX ids) whose code may be redistributed in a training corpus with attribution;
# CC-BY-4.0 is included because the released corpus card lists it beside the permissive code licences.
PERMISSIVE = (
    "MIT", "MIT-0", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "BSD-3-Clause-Clear", "ISC", "0BSD",
    "Unlicense", "Zlib", "BSL-1.0", "CC0-1.0", "PSF-2.0", "Python-2.0", "NCSA", "UPL-1.0", "CC-BY-4.0",
)
# GitHub's license keys are lower-case SPDX ids, except these.
GITHUB_KEYS = {"other": "", "noassertion": ""}


def normalize_license(value: str | None) -> str:
    """An SPDX id from an SPDX id, a GitHub license key, or "" for none / NOASSERTION / other."""
    v = (value or "").strip()
    if v.lower() in GITHUB_KEYS or v.upper() == "NOASSERTION":
        return ""
    by_lower = {p.lower(): p for p in PERMISSIVE}
    return by_lower.get(v.lower(), v)


def license_from_text(text: str) -> str:
    """SPDX id of a licence file's text, "" when `identify` recognises none (or is not installed)."""
    try:
        from identify.identify import license_id
    except ImportError:  # the curate extra is not installed: only the header check runs
        return _license_by_header(text)
    fd, path = tempfile.mkstemp(suffix=".txt")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            found = license_id(path) or ""
        except ImportError:  # identify without its `license` extra (ukkonen)
            found = ""
    finally:
        os.unlink(path)
    return found or _license_by_header(text)


def _license_by_header(text: str) -> str:
    # Shortened copies (Apache without its appendix, MIT with its warranty clause trimmed) fall outside
    # identify's 5% edit distance; their opening words still name them unambiguously.
    flat = " ".join(text.split()).lower()
    if "apache license" in flat[:200] and "version 2.0" in flat[:300]:
        return "Apache-2.0"
    if "permission is hereby granted, free of charge, to any person obtaining a copy" in flat:
        return "MIT"
    return ""


def license_reason(spdx: str, allow: tuple[str, ...] | list[str], require_known: bool) -> str | None:
    """"license_not_permissive" for a known licence outside `allow`; "license_unknown" only if required."""
    spdx = normalize_license(spdx)
    if not spdx:
        return "license_unknown" if require_known else None
    return None if spdx.lower() in {a.lower() for a in allow} else "license_not_permissive"
