"""Gold replay: the task's reference patch made through the agent's real tools, as an agent would.

It views every file the patch changes (real observations), makes one `str_replace_editor
str_replace` per hunk (search/replace derived from the diff as the `py` D_ctx edits are, each
`old_str` unique in the file it reads), `create`s new files, `git rm`/`git mv`s deleted and renamed
ones, runs the test files the task's test patch touches, and submits. What editor calls cannot
express (binary files, copies, mode-only changes, tabs or CR, an unreadable view) is applied as
a patch of just those sections; `replay_mode` says which: edits | mixed | patch. Trajectories are
labelled source `replay`, never mixed in as model rollouts.
"""

from __future__ import annotations

import shlex
from collections.abc import Generator
from typing import Any

from agentmt.errors import InputError, RecordDropped
from agentmt.agents.gold_plan import file_change, file_changes, read_view
from agentmt.agents.scripted import ScriptedModel
from agentmt.types import Message, TaskInstance

GOLD_PATCH_PATH = "/tmp/agentmt_gold.patch"
SOURCE = "replay"
MAX_EXPAND = 30  # context lines added above/below a hunk to make its old_str unique
TEST_TIMEOUT_S = 120

Action = dict[str, Any]


def _editor(thought: str, **arguments) -> Action:
    return {"tool": "str_replace_editor", "thought": thought, "arguments": arguments}


def _bash(thought: str, command: str) -> Action:
    return {"tool": "bash", "thought": thought, "arguments": {"command": command}}


def patch_actions(sections: list[str], workdir: str) -> list[Action]:
    """The patch-apply replay of `sections` (what editor calls cannot express): write, apply, remove."""
    patch = "".join(s if s.endswith("\n") else s + "\n" for s in sections)
    return [_editor("Write the changes the editor cannot make as a patch.", command="create",
                    path=GOLD_PATCH_PATH, file_text=patch),
            _bash("Apply it and check what changed.",
                  f"cd {workdir} && git apply --whitespace=nowarn {GOLD_PATCH_PATH} && rm {GOLD_PATCH_PATH} "
                  "&& git status --short")]


def tests_action(task: TaskInstance, workdir: str) -> Action | None:
    """Run the test files the task's test patch changes that exist before it (None when none do)."""
    from dataclasses import replace

    from agentmt.agents.tools import split_diff
    from agentmt.testpaths import test_command, test_targets

    existing = "".join(s for _, s in split_diff(task.test_patch) if "\nnew file mode " not in s.split("\n@@")[0])
    targets = test_targets(replace(task, test_patch=existing))
    if not targets:
        return None
    cmd = test_command(task)
    return _bash("Run the tests that cover this code.",
                 f"cd {workdir} && timeout -k 5 {TEST_TIMEOUT_S} {cmd} {' '.join(map(shlex.quote, targets))}")


class GoldModel(ScriptedModel):
    """A scripted model whose next action may depend on the last observation (the files it viewed)."""

    source = SOURCE
    # the format the embedded model acts in: the replay's trajectories then carry the same system
    # prompt and call text that SFT teaches and evaluation parses (the loop parses these calls too)
    action_format = "xml"

    def __init__(self, task: TaskInstance, workdir: str = "/testbed"):
        if not task.patch.strip():
            raise InputError(f"task {task.instance_id} has no gold patch to replay")
        super().__init__([], name="gold")
        self.task, self.workdir = task, workdir.rstrip("/")
        self.replay_mode = ""
        self.patch_files: dict[str, str] = {}  # path -> why it was applied as a patch
        self._script = self._actions()
        self._started = False

    def _next_action(self, messages: list[Message]) -> Action | None:
        observation = messages[-1].content or "" if self._started else None
        self._started = True
        try:
            return self._script.send(observation)
        except StopIteration:
            return None

    def _actions(self) -> Generator[Action, str | None, None]:
        # each yield hands out an action; the value sent back is that action's observation
        plan = file_changes(self.task.patch)
        files: dict[str, str | None] = {}
        for path, section, why in plan:
            change = file_change(path, section) if not why else None
            if change is None or change.status == "added":
                continue
            text = ""  # a deleted or purely moved file's content is never used
            if change.diff and change.status != "deleted":
                text = yield from self._read(change.old_path or path)
                if text is None:
                    self.patch_files[path] = "unreadable_view"
                    continue
            files[change.old_path or path] = text
        patch_sections, edits = [], []
        for path, section, why in plan:
            why = why or self.patch_files.get(path, "")
            if not why:
                try:
                    edits += self._edit_actions(file_change(path, section), files)
                    continue
                except RecordDropped as e:
                    why = e.reason
            self.patch_files[path] = why
            patch_sections.append(section)
        self.replay_mode = "patch" if not edits else "mixed" if patch_sections else "edits"
        for action in [*edits, *(patch_actions(patch_sections, self.workdir) if patch_sections else [])]:
            yield action  # (a list cannot take `yield from`'s send)
        test = tests_action(self.task, self.workdir)
        if test is not None:
            yield test
        done = "The change is made and the tests ran" if test is not None else "The change is made"
        yield {"tool": "submit", "thought": f"{done}; submit it.", "arguments": {}}

    def _read(self, path: str) -> Generator[Action, str | None, str | None]:
        """View `path` (the rest of it, while the view is clipped); its text, or None if unreadable."""
        full, lines = f"{self.workdir}/{path}", []
        observation = yield _editor(f"Read {path}, which the fix changes.", command="view", path=full)
        while True:
            parsed = read_view(observation or "", len(lines) + 1)
            if parsed is None or (not parsed[1] and not parsed[0]):
                return None  # an error, or a single line longer than a view shows
            lines += parsed[0]
            if parsed[1]:
                return "\n".join(lines)
            observation = yield _editor(f"Read the rest of {path}.", command="view", path=full,
                                        view_range=[len(lines) + 1, -1])

    def _edit_actions(self, change, files: dict[str, str | None]) -> list[Action]:
        """Editor/shell actions for one FileChange; RecordDropped when it needs a patch instead."""
        from agentmt.corpus.edits import make_change_edits

        w, out = self.workdir, []
        for e in make_change_edits(files, change, max_expand=MAX_EXPAND, binary_note=False):
            if e.kind == "create":
                out.append(_editor(f"Create {e.path}.", command="create", path=f"{w}/{e.path}", file_text=e.replace))
            elif e.kind == "delete":
                out.append(_bash(f"Remove {e.path}.", f"cd {w} && git rm -q {shlex.quote(e.path)}"))
            elif e.kind == "rename":
                folder = e.path.rpartition("/")[0]
                mkdir = f"mkdir -p {shlex.quote(folder)} && " if folder else ""
                out.append(_bash(f"Move {e.old_path} to {e.path}.",
                                 f"cd {w} && {mkdir}git mv {shlex.quote(e.old_path)} {shlex.quote(e.path)}"))
            elif not e.search:  # an empty file: str_replace needs a non-empty old_str
                raise RecordDropped("empty_file", e.path)
            else:
                out.append(_editor(f"Edit {e.path}.", command="str_replace", path=f"{w}/{e.path}",
                                   old_str=e.search, new_str=e.replace))
        return out
