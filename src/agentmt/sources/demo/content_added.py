"""Files that pull requests add to the demo library, in the form they are first added.

Several modules ship with a latent bug (roman: no XC/XL, inifile: '=' in values, wrap: exact fit,
csvlite: doubled quotes, timefmt: unit boundaries) that a later bug-fix PR repairs with a test.
"""

from __future__ import annotations

import base64

ROMAN = '''\
"""Roman numerals for the numbers 1 to 3999."""

_TABLE = [
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
    (50, "L"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
]
_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def to_roman(number):
    """Write `number` (1..3999) in Roman numerals using subtractive notation."""
    if not 0 < number < 4000:
        raise ValueError(f"out of range: {number}")
    out = []
    for value, symbol in _TABLE:
        count, number = divmod(number, value)
        out.append(symbol * count)
    return "".join(out)


def from_roman(text):
    """Read a Roman numeral (any case) back into an integer."""
    total = 0
    largest = 0
    for ch in reversed(text.strip().upper()):
        if ch not in _VALUES:
            raise ValueError(f"not a Roman numeral: {text!r}")
        value = _VALUES[ch]
        if value < largest:
            total -= value
        else:
            total += value
            largest = value
    return total
'''

TEST_ROMAN = """\
import pytest

from textkit.roman import from_roman, to_roman


def test_to_roman_small_numbers():
    assert [to_roman(n) for n in (1, 3, 4, 9, 14)] == ["I", "III", "IV", "IX", "XIV"]


def test_to_roman_year():
    assert to_roman(2024) == "MMXXIV"


def test_from_roman():
    assert from_roman("mcmxciv") == 1994


def test_out_of_range():
    with pytest.raises(ValueError):
        to_roman(0)
"""

INIFILE = '''\
"""A small INI reader: sections, key = value pairs and comments."""


def parse_ini(text):
    """Parse INI `text` into {section: {key: value}}; keys before any section go under ""."""
    data = {"": {}}
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            data.setdefault(section, {})
            continue
        key, value = line.split("=")[:2]
        data[section][key.strip()] = value.strip()
    return data
'''

TEST_INIFILE = """\
from textkit.inifile import parse_ini


def test_sections_and_keys():
    text = "name = demo\\n[server]\\nhost = localhost\\nport = 8080\\n"
    assert parse_ini(text) == {"": {"name": "demo"}, "server": {"host": "localhost", "port": "8080"}}


def test_comments_are_skipped():
    assert parse_ini("# note\\nkey = value\\n") == {"": {"key": "value"}}
"""

WRAP = '''\
"""Greedy word wrapping."""


def wrap(text, width=70):
    """Split `text` into lines of at most `width` characters, breaking between words."""
    if width < 1:
        raise ValueError("width must be at least 1")
    lines = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) >= width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines
'''

TEST_WRAP = """\
import pytest

from textkit.wrap import wrap


def test_wrap_breaks_between_words():
    assert wrap("the quick brown fox", 10) == ["the quick", "brown fox"]


def test_wrap_empty_text():
    assert wrap("   ", 10) == []


def test_wrap_rejects_zero_width():
    with pytest.raises(ValueError):
        wrap("text", 0)
"""

CSVLITE = '''\
"""Parse and format single CSV lines without the csv module's dialect machinery."""


def parse_line(line, sep=","):
    """Split one CSV line into fields; double-quoted fields may contain `sep`."""
    fields = []
    field = []
    in_quotes = False
    i = 0
    while i < len(line):
        ch = line[i]
        if in_quotes:
            if ch == '"':
                in_quotes = False
            else:
                field.append(ch)
        elif ch == '"':
            in_quotes = True
        elif ch == sep:
            fields.append("".join(field))
            field = []
        else:
            field.append(ch)
        i += 1
    fields.append("".join(field))
    return fields
'''

TEST_CSVLITE = """\
from textkit.csvlite import parse_line


def test_parse_plain_fields():
    assert parse_line("a,b,,c") == ["a", "b", "", "c"]


def test_parse_quoted_separator():
    assert parse_line('a,"b,c",d') == ["a", "b,c", "d"]


def test_parse_other_separator():
    assert parse_line("x;y", sep=";") == ["x", "y"]
"""

TIMEFMT = '''\
"""Human-friendly durations."""

import re

_UNITS = [("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)]
_SUFFIX = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_TOKEN = re.compile(r"(\\d+)([dhms])")


def humanize_seconds(seconds):
    """Describe a duration by its largest whole unit, e.g. 7200 -> '2 hours'."""
    if seconds < 0:
        raise ValueError("duration must not be negative")
    for name, size in _UNITS:
        if seconds > size:
            count = int(seconds // size)
            return f"{count} {name}" + ("" if count == 1 else "s")
    return f"{int(seconds)} seconds"


def parse_duration(text):
    """Parse compact durations such as '1h30m' or '45s' into seconds."""
    compact = text.replace(" ", "").lower()
    tokens = _TOKEN.findall(compact)
    if not tokens or "".join(n + u for n, u in tokens) != compact:
        raise ValueError(f"not a duration: {text!r}")
    return sum(int(n) * _SUFFIX[u] for n, u in tokens)
'''

TEST_TIMEFMT = """\
import pytest

from textkit.timefmt import humanize_seconds, parse_duration


def test_humanize_seconds():
    assert humanize_seconds(7200) == "2 hours"
    assert humanize_seconds(90) == "1 minute"
    assert humanize_seconds(0) == "0 seconds"


def test_parse_duration():
    assert parse_duration("1h30m") == 5400
    assert parse_duration("2d 5s") == 172805


def test_parse_duration_rejects_garbage():
    with pytest.raises(ValueError):
        parse_duration("soon")
"""

# The same four lines open both renderers, so a search block of those lines alone is ambiguous.
TABLE = '''\
"""Render rows of strings as plain-text or Markdown tables."""


def _widths(rows):
    return [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]


def render_markdown(rows):
    """Render rows (the first row is the header) as a Markdown table."""
    if not rows:
        return ""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = _widths(rows)
    header = "| " + " | ".join(c.ljust(w) for c, w in zip(rows[0], widths)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in rows[1:]]
    return "\\n".join([header, rule] + body) + "\\n"


def render_plain(rows):
    """Render rows (the first row is the header) as space-aligned columns."""
    if not rows:
        return ""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = _widths(rows)
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\\n".join(lines) + "\\n"
'''

TEST_TABLE = """\
from textkit.table import render_markdown, render_plain

ROWS = [["name", "qty"], ["apple", 3], ["fig", 12]]


def test_render_markdown():
    assert render_markdown(ROWS) == (
        "| name  | qty |\\n"
        "|-------|-----|\\n"
        "| apple | 3   |\\n"
        "| fig   | 12  |\\n"
    )


def test_render_plain():
    assert render_plain(ROWS) == "name   qty\\napple  3\\nfig    12\\n"


def test_empty_markdown():
    assert render_markdown([]) == ""
"""

ENCODING = '''\
"""Read text files whose encoding is unknown (UTF-8 first, then Latin-1)."""

from pathlib import Path


def read_text_guess(path, encodings=("utf-8", "latin-1")):
    """Return (text, encoding) for the first of `encodings` that decodes the file."""
    data = Path(path).read_bytes()
    for encoding in encodings:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ValueError(f"{path}: none of {', '.join(encodings)} decodes this file")
'''

TEST_ENCODING = """\
from pathlib import Path

from textkit.encoding import read_text_guess

DATA = Path(__file__).parent / "data"


def test_utf8_file(tmp_path):
    path = tmp_path / "utf8.txt"
    path.write_bytes("na\\u00efve".encode("utf-8"))
    assert read_text_guess(path) == ("na\\u00efve", "utf-8")


def test_latin1_file():
    text, encoding = read_text_guess(DATA / "latin1.txt")
    assert encoding == "latin-1"
    assert text.splitlines()[0] == "Caf\\u00e9 cr\\u00e8me, na\\u00efve fa\\u00e7ade, Z\\u00fcrich"
"""

# Latin-1 bytes that are not valid UTF-8 (é, è, ï, ç, ü as single bytes).
LATIN1_TXT = "Café crème, naïve façade, Zürich\n".encode("latin-1")
LATIN1_TXT_V2 = "Café crème, naïve façade, Zürich\nÅngström, señor, garçon\n".encode("latin-1")
# A legacy module saved in Latin-1 and declaring it with a PEP 263 coding cookie.
LEGACY_LATIN1_PY = (
    "# -*- coding: latin-1 -*-\n"
    '"""Greetings saved by an old editor in Latin-1."""\n'
    "\n"
    'GREETING = "Grüß Gott"\n'
).encode("latin-1")

MAIN = '''\
"""Command line: `python -m textkit slugify Hello World` and friends."""

import argparse
import sys

from textkit.roman import to_roman
from textkit.strings import slugify, truncate


def main(argv=None):
    parser = argparse.ArgumentParser(prog="textkit")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("slugify").add_argument("text", nargs="+")
    cut = sub.add_parser("truncate")
    cut.add_argument("width", type=int)
    cut.add_argument("text", nargs="+")
    sub.add_parser("roman").add_argument("number", type=int)
    args = parser.parse_args(argv)
    if args.command == "slugify":
        print(slugify(" ".join(args.text)))
    elif args.command == "truncate":
        print(truncate(" ".join(args.text), args.width))
    else:
        print(to_roman(args.number))
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''

TEST_CLI = """\
from textkit.__main__ import main


def test_roman_command(capsys):
    assert main(["roman", "1990"]) == 0
    assert capsys.readouterr().out == "MCMXC\\n"


def test_slugify_command(capsys):
    main(["slugify", "Hello", "World"])
    assert capsys.readouterr().out == "hello-world\\n"
"""

WORKFLOW = """\
name: tests
on: [push, pull_request]
jobs:
  pytest:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python-version: ["3.9", "3.10", "3.11", "3.12"]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python-version }}
      - run: pip install -r requirements-dev.txt
      - run: python -m pytest -q
"""

USAGE_RST = """\
Using textkit
=============

Strings
-------

``slugify(text, sep="-")`` turns any text into a lowercase ASCII slug::

    >>> slugify("Crème Brûlée")
    'creme-brulee'

``truncate(text, width, suffix="...")`` shortens text for display.

Numbers
-------

``clamp``, ``mean``, ``median`` and ``parse_int`` cover the usual chores.
"""

LOGO_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAAAAADhZOFXAAAAKklEQVR42mNgEFAwcAhIKIDRDQxQegIDlF7AAKU3MEDp"
    "AwxQ+gIDlH4AAB51HAGfRI9tAAAAAElFTkSuQmCC"
)
