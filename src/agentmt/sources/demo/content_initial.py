"""Files of the demo library `textkit` in its first commit (before any pull request).

Some functions carry deliberate bugs (truncate, median) that later bug-fix PRs repair; the tests
here only cover the cases that already work, as in a real young project.
"""

from __future__ import annotations

README = """\
# textkit

Small, dependency-free helpers for everyday text and number handling.

```python
from textkit.strings import slugify
slugify("Hello, World!")  # 'hello-world'
```

## Development

```
pip install -r requirements-dev.txt
python -m pytest -q
```
"""

LICENSE = """\
MIT License

Copyright (c) 2024 The textkit authors

Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files, to deal in the Software without restriction, subject to the
condition that the above copyright notice and this permission notice are included in all copies.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.
"""

PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "textkit"
version = "0.1.0"
description = "Small, dependency-free helpers for text and numbers"
readme = "README.md"
requires-python = ">=3.9"
license = {text = "MIT"}

[project.optional-dependencies]
test = ["pytest>=7"]

[tool.setuptools]
packages = ["textkit"]

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

REQUIREMENTS_DEV = """\
pytest==7.4.0
"""

GITIGNORE = """\
__pycache__/
*.pyc
.pytest_cache/
*.egg-info/
build/
dist/
"""

# An empty root conftest.py puts the repository root on sys.path, so a bare `pytest` works too.
CONFTEST = '''\
"""Makes the repository root importable when tests run with a bare `pytest`."""
'''

INIT = '''\
"""textkit: small, dependency-free helpers for everyday text and number handling."""

__version__ = "0.1.0"
'''

STRINGS = '''\
"""String helpers: slugs, truncation and casing."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def slugify(text, sep="-"):
    """Return a lowercase ASCII slug of `text`, words joined by `sep`."""
    normalized = unicodedata.normalize("NFKD", text)
    ascii_text = normalized.encode("ascii", "ignore").decode("ascii").lower()
    return _NON_WORD.sub(sep, ascii_text).strip(sep)


def truncate(text, width, suffix="..."):
    """Shorten `text` to at most `width` characters, ending with `suffix` when cut."""
    if len(text) <= width:
        return text
    return text[:width].rstrip() + suffix


def title_case(text, minor=("a", "an", "and", "of", "the", "to")):
    """Capitalize each word except minor words that are not the first word."""
    words = text.split()
    out = []
    for i, word in enumerate(words):
        if i > 0 and word.lower() in minor:
            out.append(word.lower())
        else:
            out.append(word[:1].upper() + word[1:].lower())
    return " ".join(out)
'''

TEST_STRINGS = """\
from textkit.strings import slugify, title_case, truncate


def test_slugify_basic():
    assert slugify("Hello, World!") == "hello-world"


def test_slugify_accents_and_separator():
    assert slugify("Crème Brûlée recipe", sep="_") == "creme_brulee_recipe"


def test_truncate_leaves_short_text_alone():
    assert truncate("short", 10) == "short"


def test_title_case_keeps_minor_words_lower():
    assert title_case("the lord of the rings") == "The Lord of the Rings"
"""

NUMBERS = '''\
"""Number helpers: clamping, averages and lenient parsing."""


def clamp(value, low, high):
    """Limit `value` to the closed range [low, high]."""
    if low > high:
        raise ValueError(f"empty range: {low} > {high}")
    return max(low, min(value, high))


def mean(values):
    """Arithmetic mean of a non-empty sequence."""
    values = list(values)
    if not values:
        raise ValueError("mean() of an empty sequence")
    return sum(values) / len(values)


def median(values):
    """Middle value of a non-empty sequence (mean of the two middle values when even)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("median() of an empty sequence")
    return ordered[len(ordered) // 2]


def parse_int(text, default=None):
    """Parse an integer allowing surrounding spaces and `_` or `,` digit separators."""
    cleaned = text.strip().replace("_", "").replace(",", "")
    try:
        return int(cleaned)
    except ValueError:
        return default
'''

TEST_NUMBERS = """\
import pytest

from textkit.numbers import clamp, mean, median, parse_int


def test_clamp():
    assert clamp(5, 0, 3) == 3
    assert clamp(-1, 0, 3) == 0
    with pytest.raises(ValueError):
        clamp(1, 3, 0)


def test_mean():
    assert mean([1, 2, 3, 4]) == 2.5


def test_median_odd():
    assert median([3, 1, 2]) == 2


def test_parse_int():
    assert parse_int(" 1_000 ") == 1000
    assert parse_int("1,234") == 1234
    assert parse_int("x", default=-1) == -1
"""

COMPAT = '''\
"""Deprecated aliases kept for textkit 0.0.x users; to be removed in 0.2."""

import warnings

from textkit.strings import slugify


def make_slug(text):
    """Deprecated: use textkit.strings.slugify."""
    warnings.warn("make_slug is deprecated; use slugify", DeprecationWarning, stacklevel=2)
    return slugify(text)
'''

TEST_COMPAT = """\
import pytest

from textkit.compat import make_slug


def test_make_slug_warns():
    with pytest.warns(DeprecationWarning):
        assert make_slug("A B") == "a-b"
"""

FILES: dict[str, str | bytes] = {
    ".gitignore": GITIGNORE,
    "LICENSE": LICENSE,
    "README.md": README,
    "conftest.py": CONFTEST,
    "pyproject.toml": PYPROJECT,
    "requirements-dev.txt": REQUIREMENTS_DEV,
    "tests/test_compat.py": TEST_COMPAT,
    "tests/test_numbers.py": TEST_NUMBERS,
    "tests/test_strings.py": TEST_STRINGS,
    "textkit/__init__.py": INIT,
    "textkit/compat.py": COMPAT,
    "textkit/numbers.py": NUMBERS,
    "textkit/strings.py": STRINGS,
}
