"""The demo history, part 2: issues #16-#32 and PRs #14-#31 (rename, deletion, fixes, tables, CLI).

Includes a closed, never-merged PR (#29, metadata only) and an issue that stays open (#32).
"""

from __future__ import annotations

from agentmt.sources.demo import content_added as A
from agentmt.sources.demo.spec import (
    CommitStep,
    Delete,
    Edit,
    HistoryItem,
    IssueSpec,
    LineComment,
    PRSpec,
    Rename,
    ReviewStep,
    TalkStep,
    Write,
)

_ALL = {  # module docstring line -> names it exports (PR #24 touches more than five .py files)
    "textkit/strings.py": (
        '"""String helpers: slugs, truncation and casing."""',
        '"slugify", "title_case", "truncate"',
    ),
    "textkit/numbers.py": (
        '"""Number helpers: clamping, averages and lenient parsing."""',
        '"clamp", "mean", "median", "parse_int"',
    ),
    "textkit/roman.py": ('"""Roman numerals for the numbers 1 to 3999."""', '"from_roman", "to_roman"'),
    "textkit/inifile.py": (
        '"""A small INI reader: sections, key = value pairs and comments."""',
        '"parse_ini"',
    ),
    "textkit/wrap.py": ('"""Greedy word wrapping."""', '"wrap"'),
    "textkit/csvlite.py": (
        '"""Parse and format single CSV lines without the csv module\'s dialect machinery."""',
        '"format_line", "parse_line"',
    ),
    "textkit/table.py": (
        '"""Render rows of strings as plain-text or Markdown tables."""',
        '"render_markdown", "render_plain"',
    ),
}

LATE: tuple[HistoryItem, ...] = (
    PRSpec(
        number=14,
        title="Rename timefmt to durations",
        body="`timefmt` suggested date formatting; the module is about durations. Pure rename plus the "
        "import in the tests.",
        author="lena-k",
        branch="refactor/durations",
        merged_by="tomasz-w",
        steps=(
            CommitStep(
                "Rename textkit.timefmt to textkit.durations",
                (
                    Rename(
                        "textkit/timefmt.py",
                        "textkit/durations.py",
                        (
                            (
                                '"""Human-friendly durations."""',
                                '"""Parse and describe durations (formerly timefmt)."""',
                            ),
                        ),
                    ),
                    Rename(
                        "tests/test_timefmt.py",
                        "tests/test_durations.py",
                        (("from textkit.timefmt import", "from textkit.durations import"),),
                    ),
                ),
            ),
            ReviewStep("tomasz-w", "APPROVED", "Better name."),
        ),
    ),
    PRSpec(
        number=15,
        title="Remove the deprecated compat module",
        body="`textkit.compat.make_slug` has warned since 0.0.9; remove it before 0.2.",
        author="lena-k",
        branch="cleanup/compat",
        merged_by="tomasz-w",
        steps=(
            CommitStep(
                "Remove textkit.compat and its test",
                (Delete("textkit/compat.py"), Delete("tests/test_compat.py")),
            ),
            ReviewStep("tomasz-w", "APPROVED", ""),
        ),
    ),
    IssueSpec(
        16,
        "parse_ini cuts values that contain '='",
        "```ini\n[db]\nurl = postgres://host/db?sslmode=require\n```\n\n`parse_ini` returns "
        "`{'url': 'postgres://host/db?sslmode'}`: everything after the second `=` is lost.",
        "devgrrl",
        comments=(("lena-k", "Thanks! The line should only be split on the first `=`."),),
        closed_by_pr=17,
    ),
    PRSpec(
        number=17,
        title="Split INI lines on the first '=' only",
        body="Fixes #16\n\nValues may contain `=` (URLs, base64); split each line once.",
        author="devgrrl",
        branch="fix-ini-equals",
        fixes=16,
        fail_to_pass=("tests/test_inifile.py::test_value_may_contain_equals",),
        steps=(
            CommitStep(
                "Split INI lines on the first '=' only",
                (
                    Edit(
                        "textkit/inifile.py",
                        'key, value = line.split("=")[:2]',
                        'key, value = line.split("=", 1)',
                    ),
                    Edit(
                        "tests/test_inifile.py",
                        "def test_comments_are_skipped():",
                        "def test_value_may_contain_equals():\n"
                        '    parsed = parse_ini("[db]\\nurl = postgres://h/db?sslmode=require\\n")\n'
                        '    assert parsed["db"] == {"url": "postgres://h/db?sslmode=require"}\n\n\n'
                        "def test_comments_are_skipped():",
                    ),
                ),
            ),
            ReviewStep(
                "lena-k",
                "COMMENTED",
                comments=(
                    LineComment(
                        "textkit/inifile.py",
                        'line.split("=", 1)',
                        "Should a line without `=` raise a clearer error now?",
                        key="no-equals",
                    ),
                ),
            ),
            ReviewStep(
                "devgrrl",
                "COMMENTED",
                comments=(
                    LineComment(
                        "textkit/inifile.py",
                        "",
                        "I kept this PR minimal; happy to do that separately.",
                        reply_to="no-equals",
                    ),
                ),
            ),
            ReviewStep("lena-k", "APPROVED", "Fair, thanks."),
        ),
    ),
    PRSpec(
        number=18,
        title="Add table rendering (Markdown and plain)",
        body="`render_markdown(rows)` and `render_plain(rows)` for quick reports; "
        "the first row is the header.",
        author="tomasz-w",
        branch="feature/table",
        steps=(
            CommitStep(
                "Add Markdown and plain table renderers",
                (Write("textkit/table.py", A.TABLE), Write("tests/test_table.py", A.TEST_TABLE)),
            ),
            ReviewStep("lena-k", "APPROVED", "The duplicated prologue is fine for two functions."),
        ),
    ),
    PRSpec(
        number=19,
        title="Show a placeholder for empty plain tables",
        body="An empty plain table printed nothing at all, which looked like a crash in CLI output. "
        "Print `(no rows)` instead; Markdown output is unchanged.",
        author="anna-b",
        branch="empty-plain-table",
        steps=(
            CommitStep(
                "Render '(no rows)' for empty plain tables",
                (
                    Edit("textkit/table.py", '        return ""\n', '        return "(no rows)\\n"\n', nth=2),
                    Edit(
                        "tests/test_table.py",
                        "def test_empty_markdown():",
                        'def test_empty_plain():\n    assert render_plain([]) == "(no rows)\\n"\n\n\n'
                        "def test_empty_markdown():",
                    ),
                ),
            ),
            ReviewStep("lena-k", "APPROVED", ""),
        ),
    ),
    PRSpec(
        number=20,
        title="Add read_text_guess for files of unknown encoding",
        body="Tries UTF-8 first and falls back to Latin-1. Includes a Latin-1 sample file for the tests.",
        author="anna-b",
        branch="feature/encoding",
        steps=(
            CommitStep(
                "Add read_text_guess with a Latin-1 sample",
                (
                    Write("textkit/encoding.py", A.ENCODING),
                    Write("tests/test_encoding.py", A.TEST_ENCODING),
                    Write("tests/data/latin1.txt", A.LATIN1_TXT),
                ),
            ),
            TalkStep("priya-s", "Should we also try cp1252? Windows files often have curly quotes."),
            TalkStep(
                "anna-b", "Latin-1 decodes any byte, so it has to stay last; cp1252 could go before it later."
            ),
            ReviewStep("lena-k", "APPROVED", ""),
        ),
    ),
    IssueSpec(
        21,
        "humanize_seconds(3600) says '60 minutes'",
        "```python\n>>> humanize_seconds(3600)\n'60 minutes'\n>>> humanize_seconds(1)\n'1 seconds'\n```\n\n"
        "I'd expect '1 hour' and '1 second'.",
        "mkusters",
        comments=(
            (
                "priya-s",
                "The comparison should be `>=`: exact unit boundaries fall through to the next smaller unit.",
            ),
        ),
        closed_by_pr=22,
    ),
    PRSpec(
        number=22,
        title="Use whole units at exact boundaries in humanize_seconds",
        body="Fixes #21",
        author="priya-s",
        branch="fix/humanize-boundaries",
        merge="squash",
        fixes=21,
        fail_to_pass=("tests/test_durations.py::test_humanize_exact_units",),
        steps=(
            CommitStep(
                "Add tests for exact unit boundaries",
                (
                    Edit(
                        "tests/test_durations.py",
                        "def test_parse_duration():",
                        'def test_humanize_exact_units():\n    assert humanize_seconds(3600) == "1 hour"\n'
                        '    assert humanize_seconds(86400) == "1 day"\n'
                        '    assert humanize_seconds(1) == "1 second"\n\n\ndef test_parse_duration():',
                    ),
                ),
            ),
            CommitStep(
                "Compare with >= so exact boundaries use the larger unit",
                (Edit("textkit/durations.py", "if seconds > size:", "if seconds >= size:"),),
            ),
            ReviewStep("tomasz-w", "APPROVED", ""),
        ),
    ),
    PRSpec(
        number=23,
        title="Add a project logo",
        body="A tiny placeholder logo for the README until we have a real one.",
        author="lena-k",
        branch="logo",
        merged_by="tomasz-w",
        steps=(
            CommitStep(
                "Add a logo to the README",
                (
                    Write("docs/logo.png", A.LOGO_PNG),
                    Edit("README.md", "# textkit\n", "# textkit\n\n![textkit logo](docs/logo.png)\n"),
                ),
            ),
            ReviewStep("tomasz-w", "APPROVED", "Cute."),
        ),
    ),
    PRSpec(
        number=24,
        title="Declare __all__ in every module",
        body="Makes the public API explicit so `from textkit.x import *` and the docs agree.",
        author="jo-okafor",
        branch="explicit-all",
        steps=(
            CommitStep(
                "Declare __all__ in every module",
                tuple(
                    Edit(path, doc + "\n", f"{doc}\n\n__all__ = [{names}]\n")
                    for path, (doc, names) in _ALL.items()
                ),
            ),
            ReviewStep("lena-k", "APPROVED", ""),
        ),
    ),
    PRSpec(
        number=25,
        title="Add a command-line interface",
        body="`python -m textkit slugify ...`, `truncate` and `roman`, plus a `textkit` console script. "
        "Also runs the tests on GitHub Actions for Python 3.9-3.12.",
        author="tomasz-w",
        branch="feature/cli",
        steps=(
            CommitStep(
                "Add python -m textkit with slugify, truncate and roman",
                (
                    Write("textkit/__main__.py", A.MAIN),
                    Write("tests/test_cli.py", A.TEST_CLI),
                    Edit(
                        "pyproject.toml",
                        "[project.optional-dependencies]",
                        '[project.scripts]\ntextkit = "textkit.__main__:main"\n\n'
                        "[project.optional-dependencies]",
                    ),
                ),
            ),
            CommitStep(
                "Run the tests on GitHub Actions", (Write(".github/workflows/tests.yml", A.WORKFLOW),)
            ),
            ReviewStep("lena-k", "APPROVED", "Nice to finally have CI."),
        ),
    ),
    IssueSpec(
        26,
        "parse_line drops doubled quotes inside quoted fields",
        "CSV escapes a quote inside a quoted field by doubling it, but:\n\n```python\n"
        ">>> parse_line('1,\"say \"\"hi\"\"\"')\n['1', 'say hi']\n```\n\nExpected `['1', 'say \"hi\"']`. "
        "Since `format_line` writes such lines, `parse_line(format_line(x))` does not round-trip.",
        "rpatel",
        comments=(("jo-okafor", "My bad, I only handled the opening and closing quotes. Fix incoming."),),
        closed_by_pr=27,
    ),
    PRSpec(
        number=27,
        title="Unescape doubled quotes in quoted CSV fields",
        body="Fixes #26",
        author="jo-okafor",
        branch="fix/csv-doubled-quotes",
        fixes=26,
        fail_to_pass=(
            "tests/test_csvlite.py::test_parse_doubled_quotes",
            "tests/test_csvlite.py::test_round_trip_with_quotes",
        ),
        steps=(
            CommitStep(
                "Unescape doubled quotes in quoted CSV fields",
                (
                    Edit(
                        "textkit/csvlite.py",
                        "            if ch == '\"':\n                in_quotes = False\n",
                        "            if ch == '\"':\n                if line[i + 1 : i + 2] == '\"':\n"
                        "                    field.append('\"')\n                    i += 1\n"
                        "                else:\n                    in_quotes = False\n",
                    ),
                    Edit(
                        "tests/test_csvlite.py",
                        "def test_parse_other_separator():",
                        "def test_parse_doubled_quotes():\n"
                        '    assert parse_line(\'1,"say ""hi"""\') == ["1", \'say "hi"\']\n\n\n'
                        'def test_round_trip_with_quotes():\n    fields = ["a", \'say "hi"\', "x,y"]\n'
                        "    assert parse_line(format_line(fields)) == fields\n\n\n"
                        "def test_parse_other_separator():",
                    ),
                ),
            ),
            ReviewStep("lena-k", "APPROVED", ""),
        ),
    ),
    IssueSpec(
        28,
        "wrap() breaks a line that would fit exactly",
        "```python\n>>> wrap(\"aaaa bbbbb\", 10)\n['aaaa', 'bbbbb']\n```\n\n"
        '`"aaaa bbbbb"` is exactly 10 characters, so it fits on one line.',
        "anna-b",
        comments=(
            ("priya-s", "Off by one in the comparison, I think. I can take this."),
            ("lena-k", "There is already #29 rewriting wrap() on textwrap; let's see where that goes."),
        ),
        closed_by_pr=30,
    ),
    PRSpec(
        number=29,
        title="Rewrite wrap() on top of textwrap",
        body="Fixes #28\n\nUse the standard library instead of our own loop.",
        author="rpatel",
        branch="textwrap-rewrite",
        merge="closed",
        steps=(
            ReviewStep(
                "lena-k",
                "CHANGES_REQUESTED",
                "textwrap hyphenates and breaks long words differently, which changes our output. "
                "I'd rather fix the comparison in the existing loop.",
            ),
            TalkStep("rpatel", "Fair enough, closing in favour of a minimal fix."),
        ),
    ),
    PRSpec(
        number=30,
        title="Let wrap() fill lines up to exactly the width",
        body="Fixes #28\n\nA line may be exactly `width` characters long; the check used `>=`.",
        author="priya-s",
        branch="fix/wrap-exact-fit",
        fixes=28,
        fail_to_pass=("tests/test_wrap.py::test_wrap_exact_fit",),
        steps=(
            CommitStep(
                "Allow lines of exactly the width in wrap()",
                (
                    Edit("textkit/wrap.py", ">= width:", "> width:"),
                    Edit(
                        "tests/test_wrap.py",
                        "def test_wrap_empty_text():",
                        "def test_wrap_exact_fit():\n"
                        '    assert wrap("aaaa bbbbb", 10) == ["aaaa bbbbb"]\n\n\n'
                        "def test_wrap_empty_text():",
                    ),
                ),
            ),
            ReviewStep("lena-k", "APPROVED", ""),
        ),
    ),
    PRSpec(
        number=31,
        title="More Latin-1 samples, including a legacy module",
        body="Extends the Latin-1 sample and adds a module saved in Latin-1 with a coding cookie.",
        author="anna-b",
        branch="more-latin1",
        steps=(
            CommitStep(
                "Add more Latin-1 samples",
                (
                    Write("tests/data/latin1.txt", A.LATIN1_TXT_V2),
                    Write("tests/data/legacy_latin1.py", A.LEGACY_LATIN1_PY),
                    Edit(
                        "tests/test_encoding.py",
                        "def test_latin1_file():",
                        "def test_more_latin1_samples():\n"
                        '    text, _ = read_text_guess(DATA / "latin1.txt")\n'
                        "    assert text.splitlines()[1] == "
                        '"\\u00c5ngstr\\u00f6m, se\\u00f1or, gar\\u00e7on"\n'
                        '    legacy, encoding = read_text_guess(DATA / "legacy_latin1.py")\n'
                        '    assert encoding == "latin-1" and "Gr\\u00fc\\u00df Gott" in legacy\n\n\n'
                        "def test_latin1_file():",
                    ),
                ),
            ),
            ReviewStep("lena-k", "APPROVED", ""),
        ),
    ),
    IssueSpec(
        32,
        "parse_ini: support multi-line values",
        "configparser allows continuation lines indented under a key. Could `parse_ini` support them?",
        "devgrrl",
        labels=("enhancement",),
    ),
)
