"""D_ctx_py: a PR as a Markdown document with search/replace edits (spec §2.6–2.7).

Sections: Repository Context → Issue (when linked) → Pull Request → Relevant Files Found (full
snapshot contents) → Edits (summary paragraph, then per commit in time order its refined or
original message and its edits). Fenced blocks use a backtick fence longer than any backtick run in
their content; a block whose content lacks a final newline is followed by NO_EOL_MARKER, so every
file round-trips byte for byte. Directives: `Edit:` (+ Search/Replace), `Create:`, `Delete:`,
`Rename: old -> new`, and `Binary file:` for a binary file whose content is not shown (non-Python
binaries only; a binary `.py` drops the sample as "binary_file", since its edits would be missing).
"""

from __future__ import annotations

import re

from agentmt.corpus.edits import FileEdit, make_change_edits
from agentmt.errors import RecordDropped
from agentmt.types import PullRequest

NO_EOL_MARKER = "\\ No newline at end of file"
_FENCE_LINE = re.compile(r"^`{3,}$")


def make_fence(content: str) -> str:
    """A backtick fence longer than every backtick run inside `content` (three at least)."""
    longest = max((len(r) for r in re.findall(r"`+", content)), default=0)
    return "`" * max(3, longest + 1)


def render_block(content: str) -> str:
    """Fence `content`; the result ends with a newline."""
    fence = make_fence(content)
    if content == "" or content.endswith("\n"):
        return f"{fence}\n{content}{fence}\n"
    return f"{fence}\n{content}\n{fence}\n{NO_EOL_MARKER}\n"


def render_edit(edit: FileEdit) -> str:
    if edit.kind == "edit":
        return f"Edit: {edit.path}\nSearch:\n{render_block(edit.search)}Replace:\n{render_block(edit.replace)}"
    if edit.kind == "create":
        return f"Create: {edit.path}\n{render_block(edit.replace)}"
    if edit.kind == "delete":
        return f"Delete: {edit.path}\n"
    if edit.kind == "rename":
        return f"Rename: {edit.old_path} -> {edit.path}\n"
    return f"Binary file: {edit.path}\n"


def make_py_edits(pr: PullRequest, *, max_expand: int = 20) -> list[list[FileEdit]]:
    """Edits per commit, applied sequentially from the snapshot (a per-file content map)."""
    files: dict[str, str | None] = {
        f.path: (None if f.binary else f.content) for f in pr.relevant_files if f.content is not None or f.binary
    }
    per_commit = []
    for commit in pr.commits:
        edits: list[FileEdit] = []
        for change in commit.changes:
            binary_note = not (change.path.endswith(".py") or (change.old_path or "").endswith(".py"))
            edits += make_change_edits(files, change, max_expand=max_expand, binary_note=binary_note)
        per_commit.append(edits)
    return per_commit


def render_py(pr: PullRequest, *, max_files: int = 50, max_expand: int = 20) -> str:
    """The full py document; raises RecordDropped when the PR cannot be rendered faithfully."""
    shown = [f for f in pr.relevant_files if f.content is not None and not f.binary]
    if len(shown) > max_files:
        raise RecordDropped("too_many_files", f"{len(shown)} relevant files > {max_files}")
    per_commit = make_py_edits(pr, max_expand=max_expand)
    out = [f"# Repository Context\nName: {pr.repo}\nDescription: {pr.repo_description}\n"]
    if pr.issue is not None:
        out.append(f"# Issue\n## {pr.issue.title}\n{_para(pr.issue.body)}")
    out.append(f"# Pull Request\n## {pr.title}\n{_para(pr.body)}")
    out.append("# Relevant Files Found\n" + "".join(f"## {f.path}\n{render_block(f.content)}" for f in shown))
    # Blank lines separate the summary, each commit block, and the edits inside a commit.
    blocks = [_para(pr.summary)] if pr.summary else []
    for commit, commit_edits in zip(pr.commits, per_commit):
        blocks.append(_para(commit.refined_message or commit.message) + "\n".join(map(render_edit, commit_edits)))
    out.append("# Edits\n" + "\n".join(blocks))
    return "\n".join(out).rstrip("\n") + "\n"


def _para(text: str | None) -> str:
    text = (text or "").strip("\n")
    return f"{text}\n" if text else ""


# ---------------------------------------------------------------------------------------------
# Parsing the document back (the round-trip check reads the text, not the objects above)


def _read_block(lines: list[str], i: int) -> tuple[str, int]:
    """Read the fenced block opening at lines[i]; return its content and the next line index."""
    if i >= len(lines) or not _FENCE_LINE.match(lines[i]):
        raise ValueError(f"line {i + 1}: expected a fence")
    fence = lines[i]
    try:
        end = lines.index(fence, i + 1)
    except ValueError:
        raise ValueError(f"line {i + 1}: fence never closed") from None
    body = lines[i + 1 : end]
    content = "".join(line + "\n" for line in body)
    if end + 1 < len(lines) and lines[end + 1] == NO_EOL_MARKER:
        return content[:-1], end + 2
    return content, end + 1


def parse_py_document(text: str) -> tuple[dict[str, str | None], list[FileEdit]]:
    """Parse the rendered snapshot files and the edits, in order; ValueError when malformed."""
    lines = text.split("\n")
    try:
        i = lines.index("# Relevant Files Found", lines.index("# Pull Request")) + 1
    except ValueError:
        raise ValueError("no '# Relevant Files Found' section after '# Pull Request'") from None
    files: dict[str, str | None] = {}
    while i < len(lines) and lines[i].startswith("## "):
        files[lines[i][3:]], i = _read_block(lines, i + 1)
    while i < len(lines) and lines[i] == "":
        i += 1
    if i >= len(lines) or lines[i] != "# Edits":
        raise ValueError(f"line {i + 1}: expected '# Edits' after the relevant files")
    return files, _parse_edits(lines, i + 1)


def parse_py_edits(text: str) -> list[FileEdit]:
    """The edits of a rendered py document, in order."""
    return parse_py_document(text)[1]


def _parse_edits(lines: list[str], i: int) -> list[FileEdit]:
    edits: list[FileEdit] = []
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.startswith("Edit: ") and nxt == "Search:":
            search, i = _read_block(lines, i + 2)
            if i >= len(lines) or lines[i] != "Replace:":
                raise ValueError(f"line {i + 1}: expected 'Replace:'")
            replace, i = _read_block(lines, i + 1)
            edits.append(FileEdit("edit", line[6:], search, replace))
        elif line.startswith("Create: ") and _FENCE_LINE.match(nxt):
            content, i = _read_block(lines, i + 1)
            edits.append(FileEdit("create", line[8:], replace=content))
        elif line.startswith("Delete: "):
            edits.append(FileEdit("delete", line[8:]))
            i += 1
        elif line.startswith("Rename: ") and " -> " in line:
            old, new = line[8:].split(" -> ", 1)
            edits.append(FileEdit("rename", new, old_path=old))
            i += 1
        elif line.startswith("Binary file: "):
            edits.append(FileEdit("binary", line[13:]))
            i += 1
        else:  # free text: summary and commit messages
            i += 1
    return edits


def check_py_roundtrip(text: str, pr: PullRequest) -> None:
    """Parse `text`, replay its edits on its files and compare with `pr.head_files` (deleted →
    absent; binary or unknown content is skipped); RecordDropped("roundtrip_failed") otherwise."""
    from agentmt.corpus.edits import apply_edits

    try:
        files, edits = parse_py_document(text)
        final = apply_edits(files, edits)
    except ValueError as e:
        raise RecordDropped("roundtrip_failed", str(e)) from None
    for head in pr.head_files:
        got = final.get(head.path)
        if head.binary or (head.path in final and got is None):
            continue
        if head.content is None and head.path in final:
            raise RecordDropped("roundtrip_failed", f"{head.path} should be absent")
        if head.content is not None and got != head.content:
            raise RecordDropped("roundtrip_failed", f"{head.path} differs from the head")
