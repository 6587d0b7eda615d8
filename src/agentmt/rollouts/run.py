"""One rollout: start the task's container, run the agent, grade the submission, build the record.

Guarantees: every call returns a `Trajectory` with an `exit_status`; a container that cannot start
or a daemon that fails is recorded as `environment_error` (with the error in `report`), never raised,
so one broken task does not stop the stage.
"""

from __future__ import annotations

import time
from typing import Any

from agentmt import __version__
from agentmt.environments.runtime import InfrastructureError
from agentmt.secrets import redact, redact_text
from agentmt.rollouts.config import RolloutConfig
from agentmt.rollouts.grade import grade_submission
from agentmt.rollouts.items import WorkItem
from agentmt.rollouts.records import node_info
from agentmt.types import Trajectory

ENVIRONMENT_ERROR = "environment_error"


class SlotModel:
    """A model whose `query` waits for one of its endpoint's slots (`EndpointSlots`: a CPU server answers
    one request at a time, whichever thread, process or node asks)."""

    def __init__(self, model, slots):
        self._model, self._slots = model, slots
        self.name, self.server = model.name, getattr(model, "server", "")
        self.sampling = dict(getattr(model, "sampling", {}) or {})

    def query(self, messages, tools):
        with self._slots.hold():
            return self._model.query(messages, tools)

    def close(self) -> None:
        close = getattr(self._model, "close", None)
        if close:
            close()

    def __getattr__(self, name: str) -> Any:  # anything else the agent reads (tokenizer, ...) passes through
        return getattr(self._model, name)


def task_image(item: WorkItem) -> tuple[str, str]:
    """(tag, digest) of the task's validated image."""
    image = item.task.validation.get("image", {})
    return image.get("tag", ""), image.get("id", "")


def run_item(item: WorkItem, model, agent_config, cfg: RolloutConfig) -> Trajectory:
    """Roll out one (task, attempt) and grade it; `model` already carries this attempt's seed."""
    from agentmt.agents import run_agent
    from agentmt.environments.registry import ensure_image
    from agentmt.environments.runtime import DockerEnvironment, task_runtime

    tag, digest = task_image(item)
    traj = Trajectory(id=item.id, instance_id=item.task.instance_id, run_index=item.run_index,
                      model=redact_text(model.name), source=item.source, image_digest=digest,
                      install=item.task.install, server=redact_text(model.server or ""),
                      sampling=dict(model.sampling), seed=model.sampling.get("seed"),
                      agentmt_version=__version__, config=_config(cfg, agent_config), node=node_info())
    start = time.monotonic()
    try:
        tag = ensure_image(item.task)  # pulled by digest on this node's daemon when missing (ImageUnavailable)
        with DockerEnvironment(tag, task_runtime(cfg.runtime, item.task.install)) as env:
            result = run_agent(item.task, env, model, agent_config)
    except InfrastructureError as e:
        traj.exit_status, traj.report = ENVIRONMENT_ERROR, {"error": redact_text(str(e))}
        traj.timings = {"wall_s": round(time.monotonic() - start, 3)}
        return traj
    traj.messages, traj.exit_status, traj.submission = result.messages, result.exit_status, result.submission
    traj.steps = list(result.steps)
    traj.num_tokens = sum(s.prompt_tokens + s.completion_tokens for s in traj.steps)
    if getattr(result, "error", ""):  # a model error may quote the endpoint's URL, credentials included
        traj.report["agent_error"] = redact_text(result.error)
    if getattr(model, "replay_mode", ""):  # a gold replay: editor calls, or which files went in as a patch
        traj.report["replay_mode"] = model.replay_mode
        traj.report["replay_patch_files"] = dict(model.patch_files)
    timings = {k: round(float(v), 3) for k, v in (result.timings or {}).items()}
    if cfg.grade:
        grade = grade_submission(item.task, tag, traj.submission, runtime=cfg.runtime,
                                 timeout_s=cfg.grading_timeout_s)
        traj.resolved, traj.tests_status = grade.resolved, grade.tests_status
        traj.report = {**grade.report, **traj.report}
        timings["grading_s"] = round(grade.seconds, 3)
    timings["wall_s"] = round(time.monotonic() - start, 3)
    traj.timings = timings
    return traj


def _config(cfg: RolloutConfig, agent_config) -> dict[str, Any]:
    """The trajectory's `config`, redacted: `-c sampling.api_key=...` must not reach D_env."""
    dump = getattr(agent_config, "model_dump", None)
    agent = dump(mode="json") if dump else dict(agent_config or {})
    return redact({"rollout": cfg.model_dump(), "agent": agent})
