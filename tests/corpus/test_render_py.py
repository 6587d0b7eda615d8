"""py format: golden document, section order, fences, binary policy, round-trip failures."""

from __future__ import annotations

import re

import pytest
from golden_util import check_golden
from prfixtures import make_golden_pr, make_pr

from agentmt.corpus.render_py import (
    check_py_roundtrip, make_fence, parse_py_document, parse_py_edits, render_block, render_py,
)
from agentmt.errors import RecordDropped


def test_golden_py_document_with_every_edit_kind():
    pr = make_golden_pr()
    text = render_py(pr)
    check_golden("pr42.py.md", text)
    check_py_roundtrip(text, pr)
    kinds = [e.kind for e in parse_py_edits(text)]
    assert {"edit", "create", "delete", "rename", "binary"} <= set(kinds)


def test_sections_in_order_and_summary_before_first_commit_message():
    text = render_py(make_golden_pr())
    heads = [text.index(h) for h in ("# Repository Context", "# Issue", "# Pull Request",
                                     "# Relevant Files Found", "# Edits", "Makes the second", "Commit 0",
                                     "Return 2 from the second main")]
    assert heads == sorted(heads)
    assert "Commit 1" not in text  # the refined message replaces the original


def test_no_issue_section_without_linked_issue_and_refined_fallback():
    pr = make_pr([{"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}])
    text = render_py(pr)
    assert "# Issue" not in text and "Commit 0" in text
    check_py_roundtrip(text, pr)


@pytest.mark.parametrize("content", ["", "\n", "a", "a\n", "```\n", "x ```` y\n`````", "tail\n\n"])
def test_blocks_round_trip_exactly(content):
    doc = ("# Pull Request\n## t\n\n# Relevant Files Found\n## f.txt\n" + render_block(content) + "\n# Edits\n")
    assert parse_py_document(doc)[0] == {"f.txt": content}
    longest_run = max((len(r) for r in re.findall(r"`+", content)), default=0)
    assert len(make_fence(content)) == max(3, longest_run + 1)


def test_binary_python_file_drops_and_other_binaries_become_notes():
    pr = make_pr([{"m.py": b"\x00\x01"}, {"m.py": b"\x00\x02"}])
    with pytest.raises(RecordDropped) as e:
        render_py(pr)
    assert e.value.reason == "binary_file"
    pr = make_pr([{"img.png": b"\x00", "a.py": "x\n"}, {"img.png": b"\x01", "a.py": "y\n"}])
    text = render_py(pr)
    assert "Binary file: img.png" in text
    check_py_roundtrip(text, pr)


def test_wrong_head_or_ambiguous_text_fails_the_round_trip():
    pr = make_pr([{"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}])
    text = render_py(pr)
    pr.head_files[0].content = "x = 3\n"
    with pytest.raises(RecordDropped) as e:
        check_py_roundtrip(text, pr)
    assert e.value.reason == "roundtrip_failed"
    # A commit message that looks like a directive is caught by the end-to-end check.
    pr = make_pr([{"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}])
    pr.commits[0].message = "Delete: a.py"
    with pytest.raises(RecordDropped, match="roundtrip_failed"):
        check_py_roundtrip(render_py(pr), pr)


def test_too_many_relevant_files_drops():
    state = {f"f{i}.py": "x\n" for i in range(4)}
    pr = make_pr([state, {p: "y\n" for p in state}])
    with pytest.raises(RecordDropped, match="too_many_files"):
        render_py(pr, max_files=3)
