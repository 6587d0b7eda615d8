"""Shared records that cross stage boundaries.

Each record is a plain dataclass with `to_dict()` / `from_dict()` (JSON shapes); `agentmt.records`
derives their typed Arrow columns from the annotations, so a shard is real columns. Every record type
written as shards has a format version in `RECORD_FORMATS` (stored in the Parquet metadata and checked
on read); bump it when a field changes meaning or is removed (adding a field with a default is safe).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

PR_FORMAT = 1
TASK_FORMAT = 1
TRAJECTORY_FORMAT = 2
CTX_FORMAT = 1

FileStatus = Literal["added", "modified", "deleted", "renamed"]


class _Record:
    """Mixin: lossless conversion to and from plain dicts (nested records included)."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        from agentmt.records import hints  # resolved once per class (get_type_hints is slow)

        return cls(**{name: _coerce(tp, data[name]) for name, tp in hints(cls).items() if name in data})


def _coerce(tp: Any, value: Any) -> Any:
    """Rebuild nested records from dicts following the type annotation."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            if arg is type(None):
                continue
            return _coerce(arg, value)
    if origin is list:
        (arg,) = typing.get_args(tp)
        return [_coerce(arg, v) for v in value]
    if origin is dict:
        _, varg = typing.get_args(tp)
        if isinstance(value, list):  # key/value pairs, as Arrow map or key-value-list columns hold them
            value = dict((e["key"], e["value"]) if isinstance(e, dict) else e for e in value)
        return {k: _coerce(varg, v) for k, v in value.items()}
    if isinstance(tp, type) and issubclass(tp, _Record) and isinstance(value, dict):
        return tp.from_dict(value)
    return value


# ---------------------------------------------------------------------------------------------
# Pull requests (sources → corpus)


@dataclass(slots=True)
class FileChange(_Record):
    """One file changed by one commit, relative to the commit's first parent."""

    status: FileStatus
    old_path: str | None  # None for added files
    new_path: str | None  # None for deleted files
    diff: str = ""  # unified diff hunks (from the first "@@" line on); "" for binary or pure renames
    binary: bool = False  # binary or not valid UTF-8 on either side

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""


@dataclass(slots=True)
class Commit(_Record):
    sha: str
    message: str
    author: str
    date: str  # ISO 8601 author date
    changes: list[FileChange] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    refined_message: str | None = None  # filled by LLM enhancement


@dataclass(slots=True)
class Comment(_Record):
    """An issue comment, a PR conversation comment, or a review comment on a diff line."""

    id: int
    author: str
    body: str
    created_at: str
    path: str | None = None  # review comments only
    diff_hunk: str | None = None
    line: int | None = None
    in_reply_to_id: int | None = None
    review_id: int | None = None


@dataclass(slots=True)
class Review(_Record):
    id: int
    author: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED
    body: str
    submitted_at: str


@dataclass(slots=True)
class Issue(_Record):
    number: int
    title: str
    body: str
    author: str = ""
    comments: list[Comment] = field(default_factory=list)


@dataclass(slots=True)
class FileSnapshot(_Record):
    """Full content of a file at one commit; `content` is None when the file is absent or binary."""

    path: str
    content: str | None
    binary: bool = False


@dataclass(slots=True)
class PullRequest(_Record):
    """A merged (or closed) PR reconstructed from git history, optionally joined with GitHub metadata.

    `snapshot_sha` is the parent of the first PR commit (spec §2.3); `relevant_files` holds the full
    contents there of every file the PR's commits touch, and `head_files` the same paths at `head_sha`,
    so a renderer can prove its edits reproduce the head exactly.
    """

    id: str  # "<repo>#<number>" — stable across reruns
    repo: str  # "owner/name"
    number: int
    title: str
    body: str
    author: str
    base_sha: str  # merge target before the merge (first parent of the merge commit)
    snapshot_sha: str  # parent of the first PR commit
    head_sha: str
    merge_sha: str
    merge_kind: Literal["merge", "squash", "synthetic"]
    commits: list[Commit] = field(default_factory=list)
    relevant_files: list[FileSnapshot] = field(default_factory=list)
    head_files: list[FileSnapshot] = field(default_factory=list)
    linked_issues: list[int] = field(default_factory=list)
    issue: Issue | None = None  # first linked issue, with comments, when metadata is joined
    num_linked_issues: int = 0
    comments: list[Comment] = field(default_factory=list)  # PR conversation comments
    reviews: list[Review] = field(default_factory=list)
    review_comments: list[Comment] = field(default_factory=list)
    repo_description: str = ""
    author_is_bot: bool = False
    state: str = "merged"  # merged | closed
    created_at: str = ""
    merged_at: str = ""
    merged_by: str = ""
    summary: str | None = None  # LLM-written PR summary, filled by enhancement
    repo_roots: list[str] = field(default_factory=list)  # root commits of the mined repo (content decontamination)
    repo_license: str = ""  # SPDX id from repo.json or the LICENSE file; "" when unknown
    format: int = PR_FORMAT

    @property
    def changed_paths(self) -> list[str]:
        """Every path (old and new) touched by any commit, in first-seen order."""
        seen: dict[str, None] = {}
        for c in self.commits:
            for ch in c.changes:
                for p in (ch.old_path, ch.new_path):
                    if p:
                        seen.setdefault(p, None)
        return list(seen)


# ---------------------------------------------------------------------------------------------
# Executable tasks (environments → rollouts → evaluation)


@dataclass(slots=True)
class TaskInstance(_Record):
    """A SWE-bench-compatible task plus agentmt's install recipe and validation results."""

    instance_id: str
    repo: str
    base_commit: str
    patch: str
    test_patch: str
    problem_statement: str
    hints_text: str = ""
    FAIL_TO_PASS: list[str] = field(default_factory=list)
    PASS_TO_PASS: list[str] = field(default_factory=list)
    version: str = ""
    environment_setup_commit: str = ""
    created_at: str = ""
    install: dict[str, Any] = field(default_factory=dict)  # recipe inferred from the repository
    validation: dict[str, Any] = field(default_factory=dict)  # flake rates, status, image digests
    format: int = TASK_FORMAT


# ---------------------------------------------------------------------------------------------
# Trajectories (rollouts → training)


@dataclass(slots=True)
class FunctionCall(_Record):
    name: str
    arguments: str  # the JSON text the model produced, kept verbatim (it may be malformed)


@dataclass(slots=True)
class ToolCall(_Record):
    """One OpenAI-format tool call; `to_dict()` is exactly the OpenAI wire shape."""

    id: str
    function: FunctionCall
    type: str = "function"


@dataclass(slots=True)
class Message(_Record):
    """One OpenAI chat message; tool results carry `tool_call_id`, assistant turns `tool_calls`."""

    role: str  # system | user | assistant | tool
    content: str | None = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None
    reasoning_content: str | None = None


@dataclass(slots=True)
class StepStats(_Record):
    """Accounting for one agent step: tokens of the model call and where the time went."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_time_s: float = 0.0
    tool_time_s: float = 0.0


@dataclass(slots=True)
class Trajectory(_Record):
    """One agent run on one task: OpenAI-style messages, how it was made, and its graded outcome."""

    id: str  # "<instance_id>/<run_index>" (replays: "<instance_id>/replay")
    instance_id: str
    run_index: int
    model: str
    source: str = "rollout"  # rollout | replay | import:<format>
    messages: list[Message] = field(default_factory=list)
    exit_status: str = ""  # submitted | limits_exceeded | format_error | context_exceeded | timeout | environment_error | model_error
    submission: str = ""  # the diff the agent produced (test files excluded)
    resolved: bool | None = None  # pass/fail from grading; None when not graded
    tests_status: dict[str, str] = field(default_factory=dict)  # test id -> PASSED/FAILED/... after the patch
    report: dict[str, Any] = field(default_factory=dict)  # SWE-bench-format grading report
    image_digest: str = ""
    install: dict[str, Any] = field(default_factory=dict)  # the task's install recipe
    server: str = ""  # base URL of the model server ("" for in-process models)
    sampling: dict[str, Any] = field(default_factory=dict)  # temperature, top_p, max_tokens, ...
    seed: int | None = None
    steps: list[StepStats] = field(default_factory=list)
    num_tokens: int = 0  # prompt + completion tokens over all steps (or the rendered length when imported)
    timings: dict[str, float] = field(default_factory=dict)  # model_s, tool_s, grading_s, wall_s
    # where it ran (host, ray_node_id on Ray, docker_host: the runtime it used); metadata, never outcome
    node: dict[str, str] = field(default_factory=dict)
    agentmt_version: str = ""
    config: dict[str, Any] = field(default_factory=dict)  # resolved agent + rollout config
    format: int = TRAJECTORY_FORMAT


# ---------------------------------------------------------------------------------------------
# D_ctx documents (corpus → training)


@dataclass(slots=True)
class CtxDocument(_Record):
    """One rendered D_ctx document; `format` is the document format (py | gen), not a record version."""

    text: str
    id: str  # "<pr id>/<format>"
    repo: str
    pr_number: int
    format: str
    num_tokens: int
    base_sha: str
    head_sha: str


# The format version of each record type written as shards (CtxDocument's `format` field is the
# document format, so the versions live here rather than in the records).
RECORD_FORMATS: dict[type, int] = {PullRequest: PR_FORMAT, TaskInstance: TASK_FORMAT,
                                   Trajectory: TRAJECTORY_FORMAT, CtxDocument: CTX_FORMAT}


def record_format(cls: type) -> int:
    """The format version shards of `cls` are written with; unregistered types are a bug."""
    if cls not in RECORD_FORMATS:
        raise TypeError(f"{cls.__name__} has no entry in agentmt.types.RECORD_FORMATS")
    return RECORD_FORMATS[cls]
