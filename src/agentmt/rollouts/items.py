"""Work items of the rollout stage: one (task, attempt) each, with a stable id and completion marker.

The unit of resumption: an item whose marker exists is never rerun, so `kill -9` mid-stage loses
at most the rollouts in flight, and a rerun produces no duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentmt.types import TaskInstance

REPLAY = "replay"


@dataclass(frozen=True, slots=True)
class WorkItem:
    task: TaskInstance
    run_index: int
    replay: bool = False

    @property
    def id(self) -> str:
        """The trajectory id: "<instance_id>/<run_index>", or "<instance_id>/replay" for a gold replay."""
        return f"{self.task.instance_id}/{REPLAY if self.replay else self.run_index}"

    @property
    def marker(self) -> str:
        return self.id.replace("/", "__")

    @property
    def source(self) -> str:
        return REPLAY if self.replay else "rollout"


def make_work_items(tasks: list[TaskInstance], k: int, *, replay: bool) -> list[WorkItem]:
    """k attempts per task in task order (a gold replay is deterministic: one per task)."""
    if replay:
        return [WorkItem(t, 0, True) for t in tasks]
    return [WorkItem(t, i) for t in tasks for i in range(k)]
