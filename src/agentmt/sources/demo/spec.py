"""Declarative description of the demo history: people, file operations, PR and issue steps.

`data/history.json` lists `IssueSpec`/`PRSpec` items in time order (read by `history.py`); `build.py`
replays them with the git CLI and records what GitHub would have recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

# ---------------------------------------------------------------------------------------------
# People


@dataclass(frozen=True, slots=True)
class Person:
    login: str
    name: str
    email: str
    kind: Literal["User", "Bot"] = "User"
    user_id: int = 0


PEOPLE: dict[str, Person] = {
    p.login: p
    for p in (
        Person("lena-k", "Lena Kowalski", "lena.kowalski@example.org", user_id=5101),
        Person("tomasz-w", "Tomasz Wiśniewski", "tomasz.w@example.org", user_id=5102),
        Person("priya-s", "Priya Sharma", "priya.sharma@example.com", user_id=5103),
        Person("jo-okafor", "Jonathan Okafor", "jo.okafor@example.net", user_id=5104),
        Person("mkusters", "Marit Kusters", "marit@example.nl", user_id=5105),
        Person("anna-b", "Anna Bergström", "anna.b@example.se", user_id=5106),
        Person("devgrrl", "Chen Yu", "chen.yu@example.com", user_id=5107),
        Person("rpatel", "Ravi Patel", "ravi.patel@example.com", user_id=5108),
        Person(
            "dependabot[bot]",
            "dependabot[bot]",
            "49699333+dependabot[bot]@users.noreply.github.com",
            kind="Bot",
            user_id=49699333,
        ),
    )
}
# GitHub commits merges and squashes from the web UI as this committer.
GITHUB = Person("web-flow", "GitHub", "noreply@github.com", user_id=19864447)
MAINTAINER = "lena-k"

# ---------------------------------------------------------------------------------------------
# File operations (applied to the working tree, then committed with `git add -A`)


@dataclass(frozen=True, slots=True)
class Write:
    """Create or overwrite a file; bytes are written verbatim (non-UTF-8 and binary files)."""

    path: str
    content: str | bytes


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace `old` by `new` in a UTF-8 file; `nth` (1-based) picks one of several occurrences."""

    path: str
    old: str
    new: str
    nth: int = 0  # 0: `old` must occur exactly once


@dataclass(frozen=True, slots=True)
class Delete:
    path: str


@dataclass(frozen=True, slots=True)
class Rename:
    """Move a file, applying small (old, new) replacements so git still pairs it as a rename."""

    old: str
    new: str
    edits: tuple[tuple[str, str], ...] = ()


Op = Union[Write, Edit, Delete, Rename]

# ---------------------------------------------------------------------------------------------
# Steps inside a PR, in time order


@dataclass(frozen=True, slots=True)
class CommitStep:
    message: str
    ops: tuple[Op, ...]


@dataclass(frozen=True, slots=True)
class LineComment:
    """A review comment on the line of `path` (at the branch head) that contains `on`."""

    path: str
    on: str
    body: str
    key: str = ""  # name other comments use to reply to this one
    reply_to: str = ""  # key of the comment this one answers (path/line are taken from it)


@dataclass(frozen=True, slots=True)
class ReviewStep:
    user: str
    state: Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED"]
    body: str = ""
    comments: tuple[LineComment, ...] = ()


@dataclass(frozen=True, slots=True)
class TalkStep:
    """A comment in the PR conversation (an issue comment on the PR)."""

    user: str
    body: str


@dataclass(frozen=True, slots=True)
class MergeMainStep:
    """The PR author merges the current main into the branch ("Merge branch 'main' into ...")."""


@dataclass(frozen=True, slots=True)
class NestedPRStep:
    """Another PR is opened and merged into main while this one is still open."""

    pr: PRSpec


Step = Union[CommitStep, ReviewStep, TalkStep, MergeMainStep, NestedPRStep]


@dataclass(frozen=True, slots=True)
class PRSpec:
    number: int
    title: str
    body: str
    author: str
    branch: str
    steps: tuple[Step, ...]
    merge: Literal["merge", "squash", "closed"] = "merge"  # "closed": never merged, metadata only
    merged_by: str = MAINTAINER
    fixes: int | None = None  # linked issue number ("Fixes #N" in the body)
    fail_to_pass: tuple[str, ...] = ()  # pytest node ids that fail before the fix and pass after
    tags: tuple[str, ...] = ()  # features this PR exercises (see DemoInfo.features)


@dataclass(frozen=True, slots=True)
class IssueSpec:
    number: int
    title: str
    body: str
    author: str
    comments: tuple[tuple[str, str], ...] = ()  # (login, body)
    labels: tuple[str, ...] = ("bug",)
    closed_by_pr: int | None = None  # None: the issue stays open


HistoryItem = Union[IssueSpec, PRSpec]
