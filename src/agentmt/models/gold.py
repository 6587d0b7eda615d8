"""Gold replay: the task's reference patch applied through the agent's real tools, then `submit`.

It proves an environment is solvable through the scaffold (tools, submission, test-file
exclusion, grading). Its trajectories are labelled source `replay`, never mixed in as model rollouts.
"""

from __future__ import annotations

from agentmt.errors import InputError
from agentmt.models.scripted import ScriptedModel
from agentmt.types import TaskInstance

GOLD_PATCH_PATH = "/tmp/agentmt_gold.patch"
SOURCE = "replay"


def make_gold_actions(task: TaskInstance, workdir: str = "/testbed") -> list[dict]:
    """create the patch file with str_replace_editor, `git apply` it with bash, show the result, submit."""
    if not task.patch.strip():
        raise InputError(f"task {task.instance_id} has no gold patch to replay")
    patch = task.patch if task.patch.endswith("\n") else task.patch + "\n"
    return [
        {"tool": "str_replace_editor", "thought": "Write the reference patch to a file.",
         "arguments": {"command": "create", "path": GOLD_PATCH_PATH, "file_text": patch}},
        {"tool": "bash", "thought": "Apply it to the repository and check what changed.",
         "arguments": {"command": f"cd {workdir} && git apply --whitespace=nowarn {GOLD_PATCH_PATH} "
                                  f"&& rm {GOLD_PATCH_PATH} && git status --short"}},
        {"tool": "submit", "thought": "The reference change is in place.", "arguments": {}},
    ]


class GoldModel(ScriptedModel):
    """A scripted model whose script is `make_gold_actions(task)`."""

    source = SOURCE

    def __init__(self, task: TaskInstance, workdir: str = "/testbed"):
        super().__init__(make_gold_actions(task, workdir), name="gold")
