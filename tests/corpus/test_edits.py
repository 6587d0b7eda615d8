"""Diff → search/replace edits: real git diffs, uniqueness, trailing newlines, random sequences."""

from __future__ import annotations

import random

import pytest
from prfixtures import git_diff, make_pr

from agentmt.corpus.edits import (
    FileEdit, apply_edits, apply_hunks, count_occurrences, make_replace_edits, parse_hunks, split_lines,
)
from agentmt.corpus.render_py import check_py_roundtrip, parse_py_document, render_py
from agentmt.errors import RecordDropped


def test_split_lines_keeps_cr_and_missing_final_newline():
    assert split_lines("a\r\nb\x0cc\nd") == ["a\r\n", "b\x0cc\n", "d"]
    assert split_lines("") == []


@pytest.mark.parametrize("old,new", [("a\nb\n", "a\nb"), ("a\nb", "a\nb\n"), ("x", "y"), ("", "z"), ("q\n", "")])
def test_hunks_reproduce_git_diff_including_missing_newline(old, new):
    assert apply_hunks(old, parse_hunks(git_diff(old, new))) == new


def test_pure_insertion_search_is_anchored_and_unique():
    old = "same\nsame\nsame\nend\n"
    new = "same\nsame\nnew line\nsame\nend\n"
    hunks = parse_hunks(git_diff(old, new, context=0))
    (edit,) = make_replace_edits("f.txt", old, hunks, max_expand=20)
    assert edit.search and count_occurrences(old, edit.search) == 1
    assert apply_edits({"f.txt": old}, [edit])["f.txt"] == new


def test_repeated_block_grows_context_until_unique():
    old = "".join(f"head{i}\n" + "x = 1\n" * 3 for i in range(4))
    new = old.replace("head2\nx = 1\n", "head2\nx = 2\n")
    (edit,) = make_replace_edits("f.py", old, parse_hunks(git_diff(old, new, context=0)), max_expand=20)
    assert "head2" in edit.search and count_occurrences(old, edit.search) == 1


def test_no_unique_context_within_limit_drops():
    old = "x\n" * 50
    new = "x\n" * 25 + "y\n" + "x\n" * 25
    with pytest.raises(RecordDropped) as e:
        make_replace_edits("f", old, parse_hunks(git_diff(old, new, context=0)), max_expand=3)
    assert e.value.reason == "ambiguous_search"


def test_mismatching_diff_and_junk_diff_drop_with_reasons():
    hunks = parse_hunks(git_diff("a\nb\n", "a\nc\n"))
    with pytest.raises(RecordDropped, match="diff_mismatch"):
        apply_hunks("zzz\n", hunks)
    with pytest.raises(RecordDropped, match="diff_parse_error"):
        parse_hunks("not a diff")
    with pytest.raises(RecordDropped, match="diff_parse_error"):
        parse_hunks("@@ -1,3 +1,3 @@\n a\n")


def test_empty_file_edits_and_apply_errors():
    assert apply_edits({"e": ""}, [FileEdit("edit", "e", "", "now\n")]) == {"e": "now\n"}
    with pytest.raises(ValueError, match="found 2 times"):
        apply_edits({"f": "a\na\n"}, [FileEdit("edit", "f", "a\n", "b\n")])
    with pytest.raises(ValueError, match="already exists"):
        apply_edits({"f": ""}, [FileEdit("create", "f", replace="x")])


LINES = ["import os\n", "x = 1\n", "\n", "def f():\n", "    return x\n", "pass\n", "# ```\n", "y = 2\n",
         "crlf = 1\r\n", "s = \"héllo\\tw\"\n"]


def _random_text(rng: random.Random) -> str:
    text = "".join(rng.choice(LINES) for _ in range(rng.randint(0, 30)))
    return text.rstrip("\n") if text and rng.random() < 0.2 else text


def _mutate(rng: random.Random, text: str) -> str:
    lines = split_lines(text)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    for _ in range(rng.randint(1, 4)):
        op, i = rng.random(), rng.randint(0, len(lines))
        if op < 0.4:
            lines[i:i] = [rng.choice(LINES) for _ in range(rng.randint(1, 3))]
        elif op < 0.7 and lines:
            del lines[i : i + rng.randint(1, 3)]
        elif lines:
            lines[min(i, len(lines) - 1)] = rng.choice(LINES).replace("1", str(rng.randint(0, 9)))
    out = "".join(lines)
    return out.rstrip("\n") if out and rng.random() < 0.2 else out


@pytest.mark.parametrize("seed", range(100))
def test_random_edit_sequences_round_trip_through_the_document(seed):
    rng = random.Random(seed)
    state = {f"pkg/m{i}.py": _random_text(rng) for i in range(rng.randint(1, 3))}
    states = [state]
    for _ in range(rng.randint(1, 4)):
        nxt = dict(states[-1])
        for path in list(nxt):
            if nxt[path] is not None and rng.random() < 0.8:
                nxt[path] = _mutate(rng, nxt[path])
            elif rng.random() < 0.1:
                nxt[path] = None
        if rng.random() < 0.3:
            nxt[f"pkg/new{len(states)}.py"] = _random_text(rng)
        nxt = {p: v for p, v in nxt.items() if v is not None}
        states.append(nxt)
    pr = make_pr(states, context=rng.choice([0, 1, 3]))
    try:
        text = render_py(pr)
    except RecordDropped as e:  # only an honest ambiguity may stop a sample
        assert e.reason == "ambiguous_search"
        return
    check_py_roundtrip(text, pr)
    files, _ = parse_py_document(text)
    assert files == {f.path: f.content for f in pr.relevant_files if f.content is not None}
