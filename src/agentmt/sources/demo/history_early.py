"""The demo history, part 1: issues #1-#9 and PRs #2-#13 (features, fixes, a branch merging main).

Bug-fix PRs change exactly one source file and one test file; their `fail_to_pass` tests fail on
the merge's first parent plus the PR's test changes and pass at the merge.
"""

from __future__ import annotations

from agentmt.sources.demo import content_added as A
from agentmt.sources.demo.spec import (
    CommitStep,
    Edit,
    HistoryItem,
    IssueSpec,
    LineComment,
    MergeMainStep,
    NestedPRStep,
    PRSpec,
    ReviewStep,
    TalkStep,
    Write,
)

_ROMAN_CHATTER = (
    ("jo-okafor", "+1, we hit this too."),
    ("devgrrl", "Same here on Python 3.12."),
    ("anna-b", "This broke the chapter numbering in our docs build."),
    ("lena-k", "Confirmed: the table has CM and CD but no XC or XL, so 90 and 40 fall back to repeats."),
    ("mkusters", "+1"),
    ("priya-s", "Does from_roman accept the wrong form? It seems to read 'LXXXX' as 90 happily."),
    (
        "lena-k",
        "It does; from_roman is additive, so it accepts non-canonical numerals. That is a separate question.",
    ),
    ("rpatel", "Any chance of a patch release once this is fixed?"),
    ("tomasz-w", "I wrote the module, so this one is on me. I'll send a fix."),
    ("jo-okafor", "Workaround in the meantime: post-process with str.replace('LXXXX', 'XC')."),
    ("devgrrl", "That workaround misses 'XXXX' -> 'XL' though."),
    ("jo-okafor", "True, you need both replacements, XC first."),
    ("anna-b", "+1"),
    ("mkusters", "Subscribing."),
    ("rpatel", "Still happening on main today."),
    ("priya-s", "It would be good to test every number from 1 to 3999 against a reference."),
    ("lena-k", "Please keep the thread on topic; a fix is being prepared."),
    ("anna-b", "Thanks for the quick turnaround everyone."),
    ("devgrrl", "Is 4000+ in scope? (Just asking, not needed for us.)"),
    ("lena-k", "No, 1..3999 only; above that you need overlines."),
    ("mkusters", "+1 for the fix"),
    ("tomasz-w", "Fix is up for review."),
)

PR_13 = PRSpec(
    number=13,
    title="Add duration helpers",
    body="Adds `textkit.timefmt` with `humanize_seconds` (7200 -> '2 hours') and "
    "`parse_duration` ('1h30m' -> 5400).",
    author="priya-s",
    branch="feature/timefmt",
    steps=(
        CommitStep(
            "Add humanize_seconds and parse_duration",
            (Write("textkit/timefmt.py", A.TIMEFMT), Write("tests/test_timefmt.py", A.TEST_TIMEFMT)),
        ),
        ReviewStep("lena-k", "APPROVED", "Nice and small."),
    ),
)

EARLY: tuple[HistoryItem, ...] = (
    IssueSpec(
        1,
        "truncate() returns strings longer than the requested width",
        "I use `truncate` to fit labels into a fixed-width column, but the result is longer than "
        "`width` whenever the text gets cut:\n\n```python\n>>> from textkit.strings import truncate\n"
        ">>> truncate(\"hello wonderful world\", 10)\n'hello wond...'\n>>> len(_)\n13\n```\n\n"
        "I expected at most 10 characters, suffix included. textkit 0.1.0, Python 3.11.",
        "mkusters",
        comments=(
            (
                "lena-k",
                "Thanks for the report, confirmed: the suffix is appended after cutting at `width`, "
                "but the docstring promises at most `width` characters.",
            ),
            ("mkusters", "Happy to send a PR if that helps."),
        ),
        closed_by_pr=2,
    ),
    PRSpec(
        number=2,
        title="Make truncate() respect the width including the suffix",
        body="Fixes #1\n\n`truncate` cut the text at `width` and then appended the suffix, so results were "
        "up to `len(suffix)` characters too long. Cut at `width - len(suffix)` instead, and return a "
        "cut suffix when the width is shorter than the suffix itself.",
        author="mkusters",
        branch="fix-truncate-width",
        fixes=1,
        fail_to_pass=("tests/test_strings.py::test_truncate_respects_width",),
        steps=(
            CommitStep(
                "Add a failing test for truncate's width",
                (
                    Edit(
                        "tests/test_strings.py",
                        "def test_title_case_keeps_minor_words_lower():",
                        "def test_truncate_respects_width():\n"
                        '    assert truncate("hello wonderful world", 10) == "hello w..."\n'
                        '    assert truncate("abcdef", 2) == ".."\n\n\n'
                        "def test_title_case_keeps_minor_words_lower():",
                    ),
                ),
            ),
            CommitStep(
                "Count the suffix in truncate's width",
                (
                    Edit(
                        "textkit/strings.py",
                        "        return text\n    return text[:width].rstrip() + suffix\n",
                        "        return text\n    if width <= len(suffix):\n        return suffix[:width]\n"
                        "    return text[: width - len(suffix)].rstrip() + suffix\n",
                    ),
                ),
            ),
            ReviewStep("lena-k", "APPROVED", "Looks good, thanks for the test!"),
        ),
    ),
    PRSpec(
        number=3,
        title="Add Roman numeral helpers",
        body="Adds `textkit.roman` with `to_roman` and `from_roman`, for chapter and invoice numbering.",
        author="tomasz-w",
        branch="feature/roman",
        steps=(
            CommitStep(
                "Add to_roman and from_roman",
                (Write("textkit/roman.py", A.ROMAN), Write("tests/test_roman.py", A.TEST_ROMAN)),
            ),
            ReviewStep(
                "lena-k",
                "COMMENTED",
                "A question before I approve.",
                comments=(
                    LineComment(
                        "textkit/roman.py",
                        "for ch in reversed(text.strip().upper()):",
                        "Does this accept lowercase input as well?",
                        key="roman-case",
                    ),
                ),
            ),
            ReviewStep(
                "tomasz-w",
                "COMMENTED",
                comments=(
                    LineComment(
                        "textkit/roman.py",
                        "",
                        "Yes, it upper-cases first; `test_from_roman` uses a lowercase numeral.",
                        reply_to="roman-case",
                    ),
                ),
            ),
            ReviewStep("lena-k", "APPROVED", "Thanks!"),
        ),
    ),
    PRSpec(
        number=4,
        title="Add a small INI parser",
        body="`parse_ini(text)` reads sections and `key = value` pairs into nested dicts, without "
        "configparser's interpolation surprises.",
        author="jo-okafor",
        branch="feature/ini",
        merge="squash",
        steps=(
            CommitStep(
                "Add parse_ini",
                (Write("textkit/inifile.py", A.INIFILE), Write("tests/test_inifile.py", A.TEST_INIFILE)),
            ),
            ReviewStep(
                "lena-k",
                "CHANGES_REQUESTED",
                "Please also skip `;` comments, many INI files use them.",
                comments=(
                    LineComment(
                        "textkit/inifile.py",
                        'line.startswith("#")',
                        "`;` starts a comment too in most INI dialects.",
                    ),
                ),
            ),
            CommitStep(
                "Skip ; comments too",
                (
                    Edit("textkit/inifile.py", 'line.startswith("#")', 'line.startswith(("#", ";"))'),
                    Edit(
                        "tests/test_inifile.py",
                        '"# note\\nkey = value\\n"',
                        '"# note\\n; other\\nkey = value\\n"',
                    ),
                ),
            ),
            ReviewStep("lena-k", "APPROVED", ""),
        ),
    ),
    IssueSpec(
        5,
        "median() of an even number of values is wrong",
        "```python\n>>> from textkit.numbers import median\n>>> median([1, 2, 3, 4])\n3\n```\n\n"
        "The median of 1, 2, 3, 4 is 2.5. The docstring even says it averages the two middle values.",
        "anna-b",
        comments=(("priya-s", "It returns the upper middle element. I can fix it."),),
        closed_by_pr=6,
    ),
    PRSpec(
        number=6,
        title="Average the two middle values in median()",
        body="Fixes #5\n\nFor an even number of values `median` returned the upper middle element.",
        author="priya-s",
        branch="fix/median-even",
        merge="squash",
        fixes=5,
        fail_to_pass=("tests/test_numbers.py::test_median_even",),
        steps=(
            CommitStep(
                "Average the two middle values in median()",
                (
                    Edit(
                        "textkit/numbers.py",
                        "    return ordered[len(ordered) // 2]\n",
                        "    mid = len(ordered) // 2\n    if len(ordered) % 2:\n        return ordered[mid]\n"
                        "    return (ordered[mid - 1] + ordered[mid]) / 2\n",
                    ),
                    Edit(
                        "tests/test_numbers.py",
                        "def test_parse_int():",
                        "def test_median_even():\n    assert median([4, 1, 3, 2]) == 2.5\n\n\n"
                        "def test_parse_int():",
                    ),
                ),
            ),
            TalkStep("anna-b", "Thanks, that was quick!"),
            ReviewStep("lena-k", "APPROVED", ""),
        ),
    ),
    PRSpec(
        number=7,
        title="Add a greedy word-wrapping module",
        body="Adds `textkit.wrap.wrap(text, width)`, which breaks text between words. Unlike "
        "`textwrap` it never hyphenates; words longer than the width are hard-broken.",
        author="priya-s",
        branch="feature/wrap",
        steps=(
            CommitStep("Add wrap() for greedy word wrapping", (Write("textkit/wrap.py", A.WRAP),)),
            CommitStep("Add tests for wrap()", (Write("tests/test_wrap.py", A.TEST_WRAP),)),
            ReviewStep(
                "tomasz-w",
                "COMMENTED",
                comments=(
                    LineComment(
                        "textkit/wrap.py",
                        "for word in text.split():",
                        "What happens with a single word longer than `width`? It looks like it ends up "
                        "on its own line, overflowing.",
                        key="long-words",
                    ),
                ),
            ),
            ReviewStep(
                "priya-s",
                "COMMENTED",
                comments=(
                    LineComment(
                        "textkit/wrap.py",
                        "",
                        "Right, it overflows. I'll hard-break such words.",
                        reply_to="long-words",
                    ),
                ),
            ),
            CommitStep(
                "Hard-break words longer than the width",
                (
                    Edit(
                        "textkit/wrap.py",
                        "    for word in text.split():\n",
                        "    for word in text.split():\n        while len(word) > width:\n"
                        "            if current:\n                lines.append(current)\n"
                        '                current = ""\n            lines.append(word[:width])\n'
                        "            word = word[width:]\n",
                    ),
                    Edit(
                        "tests/test_wrap.py",
                        "def test_wrap_empty_text():",
                        "def test_wrap_hard_breaks_long_words():\n"
                        '    assert wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"]\n\n\n'
                        "def test_wrap_empty_text():",
                    ),
                ),
            ),
            ReviewStep("lena-k", "APPROVED", "Thanks both!"),
        ),
    ),
    PRSpec(
        number=8,
        title="Bump pytest from 7.4.0 to 7.4.4",
        body="Bumps [pytest](https://github.com/pytest-dev/pytest) from 7.4.0 to 7.4.4.\n\n"
        "Dependabot will resolve any conflicts with this PR as long as you don't alter it yourself.",
        author="dependabot[bot]",
        branch="dependabot/pip/pytest-7.4.4",
        steps=(
            CommitStep(
                "Bump pytest from 7.4.0 to 7.4.4\n\n"
                "Bumps [pytest](https://github.com/pytest-dev/pytest) from 7.4.0 to 7.4.4.\n"
                "- [Release notes](https://github.com/pytest-dev/pytest/releases)\n"
                "- [Changelog](https://github.com/pytest-dev/pytest/blob/main/CHANGELOG.rst)\n\n"
                "---\nupdated-dependencies:\n- dependency-name: pytest\n"
                "  dependency-type: direct:development\n  update-type: version-update:semver-patch\n"
                "...\n\nSigned-off-by: dependabot[bot] <support@github.com>",
                (Edit("requirements-dev.txt", "pytest==7.4.0", "pytest==7.4.4"),),
            ),
            ReviewStep("lena-k", "APPROVED", ""),
        ),
    ),
    IssueSpec(
        9,
        "to_roman(1990) returns MCMLXXXX",
        "```python\n>>> from textkit.roman import to_roman\n>>> to_roman(1990)\n'MCMLXXXX'\n```\n\n"
        "It should be `MCMXC`. Numbers in the forties are wrong too: `to_roman(44)` gives `XXXXIV`.",
        "rpatel",
        comments=_ROMAN_CHATTER,
        closed_by_pr=11,
    ),
    PRSpec(
        number=10,
        title="Document the string and number helpers",
        body="Adds a short usage guide under docs/ and links it from the README.",
        author="anna-b",
        branch="docs/usage",
        merge="squash",
        steps=(
            CommitStep("Add a usage guide", (Write("docs/usage.rst", A.USAGE_RST),)),
            CommitStep(
                "Link the usage guide from the README",
                (
                    Edit(
                        "README.md",
                        "slugify(\"Hello, World!\")  # 'hello-world'\n```\n",
                        "slugify(\"Hello, World!\")  # 'hello-world'\n```\n\n"
                        "See [docs/usage.rst](docs/usage.rst) for a tour of all helpers.\n",
                    ),
                ),
            ),
            ReviewStep("lena-k", "APPROVED", "Docs, thank you!"),
        ),
    ),
    PRSpec(
        number=11,
        title="Use XC and XL in to_roman",
        body="Fixes #9\n\nThe conversion table had the subtractive pairs CM, CD, IX and IV but not XC and "
        "XL, so 90 and 40 were written as LXXXX and XXXX.",
        author="tomasz-w",
        branch="fix/roman-xc-xl",
        fixes=9,
        fail_to_pass=("tests/test_roman.py::test_to_roman_uses_xc_and_xl",),
        steps=(
            CommitStep(
                "Add XC and XL to the Roman numeral table",
                (
                    Edit(
                        "textkit/roman.py",
                        '(50, "L"), (10, "X")',
                        '(90, "XC"), (50, "L"), (40, "XL"), (10, "X")',
                    ),
                    Edit(
                        "tests/test_roman.py",
                        "def test_from_roman():",
                        'def test_to_roman_uses_xc_and_xl():\n    assert to_roman(1990) == "MCMXC"\n'
                        '    assert to_roman(44) == "XLIV"\n\n\ndef test_from_roman():',
                    ),
                ),
            ),
            ReviewStep("lena-k", "APPROVED", "Thanks, finally!"),
        ),
    ),
    PRSpec(
        number=12,
        title="Add csvlite: parse and format single CSV lines",
        body="For log lines and CLI output we only ever need one line at a time; `csv.reader` over a "
        "StringIO is overkill. Adds `parse_line` and `format_line`.",
        author="jo-okafor",
        branch="feature/csvlite",
        steps=(
            CommitStep(
                "Add parse_line with quoted fields",
                (Write("textkit/csvlite.py", A.CSVLITE), Write("tests/test_csvlite.py", A.TEST_CSVLITE)),
            ),
            ReviewStep(
                "lena-k",
                "CHANGES_REQUESTED",
                "Before this goes in I'd like a formatter too.",
                comments=(
                    LineComment(
                        "textkit/csvlite.py",
                        'def parse_line(line, sep=","):',
                        "Could we add the inverse, `format_line`, so values round-trip?",
                        key="inverse",
                    ),
                ),
            ),
            NestedPRStep(PR_13),
            MergeMainStep(),
            TalkStep("jo-okafor", "Merged main into the branch to pick up the latest changes."),
            CommitStep(
                "Add format_line, the inverse of parse_line",
                (
                    Edit(
                        "textkit/csvlite.py",
                        '    fields.append("".join(field))\n    return fields\n',
                        '    fields.append("".join(field))\n    return fields\n\n\n'
                        'def format_line(fields, sep=","):\n'
                        '    """Join fields into one line, quoting those with `sep`, quotes or outer '
                        'spaces."""\n'
                        "    out = []\n    for value in fields:\n        text = str(value)\n"
                        "        if sep in text or '\"' in text or text != text.strip():\n"
                        "            text = '\"' + text.replace('\"', '\"\"') + '\"'\n"
                        "        out.append(text)\n    return sep.join(out)\n",
                    ),
                    Edit(
                        "tests/test_csvlite.py",
                        "from textkit.csvlite import parse_line\n",
                        "from textkit.csvlite import format_line, parse_line\n",
                    ),
                    Edit(
                        "tests/test_csvlite.py",
                        "def test_parse_other_separator():",
                        "def test_format_quotes_when_needed():\n"
                        '    assert format_line(["a", "b,c", " d"]) == \'a,"b,c"," d"\'\n\n\n'
                        "def test_parse_other_separator():",
                    ),
                ),
            ),
            ReviewStep(
                "jo-okafor",
                "COMMENTED",
                comments=(
                    LineComment(
                        "textkit/csvlite.py",
                        "",
                        "Added `format_line` in the latest commit.",
                        reply_to="inverse",
                    ),
                ),
            ),
            ReviewStep("lena-k", "APPROVED", "LGTM"),
        ),
    ),
)
