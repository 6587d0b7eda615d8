"""Replays the declared history with the git CLI, feeding GitHub-style events to the recorder.

Merges look like GitHub's: "Merge pull request #N from login/branch" (merger as author, GitHub as
committer, branch head as second parent) or a squash commit "Title (#N)"; every PR head stays
reachable as refs/pull/N/head, and feature branches are deleted after merging.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

from agentmt.sources.demo.gitcli import GitCLI
from agentmt.sources.demo.metadata import MetadataRecorder, make_diff_hunk
from agentmt.sources.demo.spec import (
    GITHUB,
    MAINTAINER,
    PEOPLE,
    CommitStep,
    Delete,
    Edit,
    IssueSpec,
    LineComment,
    MergeMainStep,
    NestedPRStep,
    Op,
    PRSpec,
    Rename,
    ReviewStep,
    TalkStep,
    Write,
)

_DOC_EXTS = (".md", ".rst", ".markdown", ".txt")


class DemoClock:
    """Deterministic time: each event moves forward by the next of a fixed, irregular list of minutes."""

    STEPS_MIN = (23, 41, 67, 19, 88, 35, 53, 140, 29, 76, 12, 95)

    def __init__(self, start: int):
        self.now = start
        self._i = 0

    def tick(self, extra_min: int = 0) -> int:
        self.now += 60 * (self.STEPS_MIN[self._i % len(self.STEPS_MIN)] + extra_min)
        self._i += 1
        return self.now


def apply_op(root: Path, op: Op) -> None:
    """Apply one file operation to the working tree at `root`."""
    if isinstance(op, Write):
        path = root / op.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(op.content if isinstance(op.content, bytes) else op.content.encode("utf-8"))
    elif isinstance(op, Edit):
        path = root / op.path
        text = path.read_bytes().decode("utf-8")
        count = text.count(op.old)
        if op.nth == 0:
            assert count == 1, f"{op.path}: {op.old!r} occurs {count} times"
            text = text.replace(op.old, op.new)
        else:
            assert count >= op.nth > 0 and count > 1, f"{op.path}: {op.old!r} occurs {count} times"
            at = -1
            for _ in range(op.nth):
                at = text.index(op.old, at + 1)
            text = text[:at] + op.new + text[at + len(op.old) :]
        path.write_bytes(text.encode("utf-8"))
    elif isinstance(op, Delete):
        (root / op.path).unlink()
    elif isinstance(op, Rename):
        text = (root / op.old).read_bytes().decode("utf-8")
        for old, new in op.edits:
            assert text.count(old) == 1, f"{op.old}: {old!r} must occur once"
            text = text.replace(old, new)
        (root / op.old).unlink()
        (root / op.new).parent.mkdir(parents=True, exist_ok=True)
        (root / op.new).write_bytes(text.encode("utf-8"))


def op_features(root: Path, op: Op) -> set[str]:
    """Which demo features an operation exercises, judged before it is applied."""
    if isinstance(op, Write):
        feats = set() if (root / op.path).exists() else {"added_file"}
        if isinstance(op.content, bytes):
            try:
                op.content.decode("utf-8")
            except UnicodeDecodeError:
                feats.add("binary" if b"\0" in op.content else "non_utf8")
        return feats
    if isinstance(op, Delete):
        return {"deleted_file"}
    if isinstance(op, Rename):
        return {"renamed_file"}
    return {"repeated_lines"} if op.nth else set()


def op_paths(op: Op) -> list[str]:
    return [op.old, op.new] if isinstance(op, Rename) else [op.path]


class HistoryReplay:
    def __init__(self, git: GitCLI, clock: DemoClock, recorder: MetadataRecorder):
        self.git = git
        self.clock = clock
        self.rec = recorder
        self.features: dict[str, set[int]] = defaultdict(set)
        self._comment_ids: dict[str, tuple[int, str, int, str]] = {}  # key -> (id, path, line, hunk)
        self._closes: dict[int, int] = {}  # PR number -> issue number its merge closes

    def commit(self, message: str, login: str, ops: tuple[Op, ...], pr: int | None = None) -> None:
        for op in ops:
            if pr is not None:
                for feat in op_features(self.git.path, op):
                    self.features[feat].add(pr)
            apply_op(self.git.path, op)
        when = self.clock.tick()
        self.git.run("add", "-A", author=PEOPLE[login], when=when)
        self.git.run("commit", "-q", "--cleanup=whitespace", "-m", message, author=PEOPLE[login], when=when)

    def issue(self, spec: IssueSpec) -> None:
        self.rec.issue(spec, self.clock.tick(180))
        if spec.closed_by_pr is not None:
            self._closes[spec.closed_by_pr] = spec.number
        for login, body in spec.comments:
            self.rec.comment(spec.number, login, body, self.clock.tick())

    def pull(self, spec: PRSpec) -> None:
        if spec.merge == "closed":
            return self._closed_pull(spec)
        assert isinstance(spec.steps[0], CommitStep), "a PR opens after its first commit"
        git, author = self.git, PEOPLE[spec.author]
        self.clock.tick(240)
        base = git.rev("main")
        git.run("checkout", "-q", "-b", spec.branch, "main", author=author, when=self.clock.now)
        created_at = 0
        messages: list[str] = []
        paths: set[str] = set()
        for step in spec.steps:
            if isinstance(step, CommitStep):
                self.commit(step.message, spec.author, step.ops, spec.number)
                messages.append(step.message)
                paths.update(p for op in step.ops for p in op_paths(op))
                created_at = created_at or self.clock.tick()
            elif isinstance(step, ReviewStep):
                self._review(spec.number, step)
            elif isinstance(step, TalkStep):
                self.rec.comment(spec.number, step.user, step.body, self.clock.tick())
            elif isinstance(step, MergeMainStep):
                _merge_commit(git, f"Merge branch 'main' into {spec.branch}", "main", author=author,
                              when=self.clock.tick())
                self.features["merged_main_midway"].add(spec.number)
            elif isinstance(step, NestedPRStep):
                self.pull(step.pr)
                git.run("checkout", "-q", spec.branch, author=author, when=self.clock.now)
        head = git.rev("HEAD")
        merger, when = PEOPLE[spec.merged_by], self.clock.tick()
        git.run("checkout", "-q", "main", author=merger, when=when)
        if spec.merge == "merge":
            owner = self.rec.repo_name.split("/")[0] if author.kind == "Bot" else spec.author
            message = f"Merge pull request #{spec.number} from {owner}/{spec.branch}\n\n{spec.title}"
            _merge_commit(git, message, spec.branch, author=merger, committer=GITHUB, when=when)
            self.features["merge_commit"].add(spec.number)
        else:
            bullets = "\n\n".join(f"* {m}" for m in messages)
            git.run("merge", "-q", "--squash", spec.branch, author=author, when=when)
            git.run(
                "commit",
                "-q",
                "--cleanup=whitespace",
                "-m",
                f"{spec.title} (#{spec.number})\n\n{bullets}",
                author=author,
                committer=GITHUB,
                when=when,
            )
            self.features["squash"].add(spec.number)
        git.run("update-ref", f"refs/pull/{spec.number}/head", head, author=merger, when=when)
        git.run("branch", "-q", "-D", spec.branch, author=merger, when=when)
        self.rec.pull(
            spec,
            created_at=created_at,
            closed_at=when,
            base_sha=base,
            head_sha=head,
            merge_sha=git.rev("HEAD"),
        )
        self._judge_paths(spec, paths, num_commits=len(messages))
        if spec.number in self._closes:
            self.rec.close_issue(self._closes[spec.number], self.clock.tick())

    def _closed_pull(self, spec: PRSpec) -> None:
        """A PR closed without merging: its commits never reach this clone, only the metadata."""
        assert not any(isinstance(s, CommitStep) for s in spec.steps)
        created_at = self.clock.tick(240)
        head = hashlib.sha1(f"{self.rec.repo_name}#{spec.number}".encode()).hexdigest()
        for step in spec.steps:
            if isinstance(step, ReviewStep):
                assert not step.comments, "review comments need a diff in git"
                self.rec.review(spec.number, step.user, step.state, step.body, head, self.clock.tick())
                if step.state == "CHANGES_REQUESTED":
                    self.features["changes_requested"].add(spec.number)
            elif isinstance(step, TalkStep):
                self.rec.comment(spec.number, step.user, step.body, self.clock.tick())
        self.rec.pull(
            spec,
            created_at=created_at,
            closed_at=self.clock.tick(),
            base_sha=self.git.rev("main"),
            head_sha=head,
            merge_sha=None,
        )
        self.features["unmerged"].add(spec.number)

    def _review(self, number: int, step: ReviewStep) -> None:
        head = self.git.rev("HEAD")
        when = self.clock.tick()
        rid = self.rec.review(number, step.user, step.state, step.body, head, when)
        if step.state == "CHANGES_REQUESTED":
            self.features["changes_requested"].add(number)
        for c in step.comments:
            path, line, hunk = self._locate(c) if not c.reply_to else self._comment_ids[c.reply_to][1:]
            reply_id = self._comment_ids[c.reply_to][0] if c.reply_to else None
            cid = self.rec.review_comment(
                number,
                rid,
                step.user,
                c.body,
                path=path,
                line=line,
                diff_hunk=hunk,
                commit_id=head,
                when=when,
                in_reply_to=reply_id,
            )
            if c.key:
                self._comment_ids[c.key] = (cid, path, line, hunk)
            if c.reply_to:
                self.features["review_reply_thread"].add(number)

    def _locate(self, c: LineComment) -> tuple[str, int, str]:
        lines = (self.git.path / c.path).read_text(encoding="utf-8").splitlines()
        line = next(i for i, text in enumerate(lines, start=1) if c.on in text)
        merge_base = self.git.read("merge-base", "main", "HEAD").strip()
        diff = self.git.read("diff", "--no-color", "-U3", merge_base, "HEAD", "--", c.path)
        return c.path, line, make_diff_hunk(diff, line)

    def _judge_paths(self, spec: PRSpec, paths: set[str], num_commits: int) -> None:
        py = {p for p in paths if p.endswith(".py")}
        other = {p for p in paths if not p.endswith(".py")}
        if not py and all(p.endswith((".md", ".rst")) for p in other):
            self.features["docs_only"].add(spec.number)
        if len(py) > 5:
            self.features["many_py_files"].add(spec.number)
        if py and any(not p.endswith(_DOC_EXTS) for p in other):
            self.features["mixed_py_non_py"].add(spec.number)
        if num_commits >= 3:
            self.features["multi_commit"].add(spec.number)
        if PEOPLE[spec.author].kind == "Bot":
            self.features["bot"].add(spec.number)
        if spec.fixes is not None:
            self.features["linked_issue"].add(spec.number)
            if self.rec.issues[spec.fixes]["comments"] > 20:
                self.features["issue_many_comments"].add(spec.number)
        if spec.fail_to_pass:
            self.features["bugfix"].add(spec.number)

    def initial_commit(self, files: dict[str, str | bytes], when: int) -> None:
        self.git.run("init", "-q", author=PEOPLE[MAINTAINER], when=when)
        # Name the branch explicitly instead of trusting init.defaultBranch (needs git >= 2.28).
        self.git.run("symbolic-ref", "HEAD", "refs/heads/main", author=PEOPLE[MAINTAINER], when=when)
        self.commit("Initial commit: textkit 0.1.0", MAINTAINER, tuple(Write(p, c) for p, c in files.items()))


def _merge_commit(git, message: str, branch: str, **who) -> None:
    """A two-parent merge of `branch` into the checked-out branch, even when it could fast-forward."""
    git.run("merge", "-q", "--no-ff", "--no-edit", "-m", message, branch, **who)
