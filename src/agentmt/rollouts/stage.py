"""`agentmt rollout TASKS --out DIR`: k graded rollouts per validated task, one Trajectory record each.

Guarantees: each (task, attempt) is a work item with a completion marker holding its record, so a
rerun (after `kill -9` too) skips finished items and rewrites the same shard; infrastructure
failures are recorded as `environment_error` and left unmarked, so the next run retries them;
gold replays (`source: replay`) never share a folder with model rollouts unless
`include_replays=true`. The shard and `manifest.json` are rewritten from the markers at the end.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agentmt import io
from agentmt.errors import ConfigError, InputError
from agentmt.rollouts.config import RolloutConfig, load_rollout_config
from agentmt.rollouts.items import REPLAY, WorkItem, make_work_items
from agentmt.rollouts.records import write_trajectories
from agentmt.rollouts.run import ENVIRONMENT_ERROR, SlotModel, run_item
from agentmt.types import TaskInstance, Trajectory

SHARD = io.shard_name(0)


def read_validated_tasks(tasks_dir: str | Path) -> list[TaskInstance]:
    """Tasks of an `env validate` output that carry an image and FAIL_TO_PASS tests."""
    from agentmt.environments.tasks import read_tasks

    tasks = list(read_tasks(tasks_dir))
    bad = [t.instance_id for t in tasks if not t.validation.get("image", {}).get("tag") or not t.FAIL_TO_PASS]
    if bad:
        raise InputError(f"{len(bad)} task(s) in {tasks_dir} are not validated (e.g. {bad[0]}): "
                         "pass the output folder of `agentmt env validate`")
    return tasks


class _SharedServerModel:
    """One rollout's view of the stage's embedded server: its own seed, the shared server and tokenizer."""

    def __init__(self, embedded, remote):
        self._embedded, self._remote = embedded, remote
        self.name, self.server, self.sampling = embedded.name, remote.server, remote.sampling
        self.action_format = getattr(embedded, "action_format", None)

    def query(self, messages, tools):
        return self._remote.query(messages, tools)

    def count_tokens(self, messages) -> int:
        return self._embedded.count_tokens(messages)

    def close(self) -> None:
        self._remote.close()


@contextlib.contextmanager
def open_model_factory(cfg: RolloutConfig) -> Iterator[Callable[[WorkItem], object]]:
    """A per-item model builder (seed = cfg.seed + attempt); `embedded` starts one server for the stage."""
    from agentmt.models.registry import make_model

    slots = threading.Semaphore(cfg.model_slots)
    with contextlib.ExitStack() as stack:
        embedded = None
        if cfg.model.split(":", 1)[0] == "embedded":
            embedded = make_model(cfg.model, config=cfg.sampling)
            stack.callback(embedded.close)
            embedded.start()

        def build(item: WorkItem):
            settings = {**cfg.sampling, "seed": cfg.seed + item.run_index}
            if embedded is not None:
                return SlotModel(_SharedServerModel(embedded, make_model(embedded.server, config=settings)), slots)
            return SlotModel(make_model(cfg.model, task=item.task, config=settings), slots)

        yield build


def _check_mixing(out_dir: Path, replay: bool, cfg: RolloutConfig) -> None:
    done = out_dir / io.DONE_DIR
    if cfg.include_replays or not done.exists():
        return
    for marker in done.glob("*"):
        if marker.name.endswith(f"__{REPLAY}") != replay:
            kind = "gold replays" if not replay else "model rollouts"
            raise InputError(f"{out_dir} already holds {kind}: write this run to another folder "
                             "or pass -c include_replays=true to mix them")


def _collect(out_dir: Path, failed: list[Trajectory]) -> list[Trajectory]:
    done = out_dir / io.DONE_DIR
    trajs = [Trajectory.from_dict(io.done_info(out_dir, p.name)["trajectory"])
             for p in sorted(done.glob("*"))] if done.exists() else []
    return sorted(trajs + failed, key=lambda t: (t.instance_id, t.source, t.run_index))


def run_rollouts(tasks_dir: str | Path, out_dir: str | Path, *specs: str, progress: bool = False) -> io.Manifest:
    """Roll out every pending (task, attempt) of TASKS into OUT; returns the stage manifest."""
    from agentmt.agents import AgentConfig, load_agent_config

    cfg = load_rollout_config(*specs)
    out_dir = Path(out_dir)
    replay = cfg.model == "gold"
    _check_mixing(out_dir, replay, cfg)
    # "auto": each model's own action format (the embedded one has no tool template: XML text)
    agent_config = AgentConfig.model_validate({**load_agent_config().model_dump(), "action_format": "auto",
                                               **cfg.agent})
    tasks = read_validated_tasks(tasks_dir)
    items = make_work_items(tasks, cfg.k, replay=replay)
    pending = [it for it in items if not io.is_done(out_dir, it.marker)]
    manifest = io.Manifest(stage="rollout", config=cfg.model_dump(), inputs=[str(tasks_dir)])
    manifest.counts.update(tasks=len(tasks), items=len(items), items_reused=len(items) - len(pending))
    failed: list[Trajectory] = []
    lock = threading.Lock()

    def work(item: WorkItem) -> None:
        model = build(item)
        try:
            traj = run_item(item, model, agent_config, cfg)
        finally:
            model.close()
        with lock:
            if traj.exit_status == ENVIRONMENT_ERROR:
                failed.append(traj)  # the infrastructure's failure: recorded, retried by the next run
            else:
                io.mark_done(out_dir, item.marker, {"trajectory": traj.to_dict()})
            if progress:
                print(f"rollout {traj.id}: {traj.exit_status} resolved={traj.resolved}", flush=True)

    if cfg.executor != "local":
        raise ConfigError(f"executor {cfg.executor!r} is not available for rollouts yet: use executor=local")
    if pending:  # nothing to do: do not start a model server
        with open_model_factory(cfg) as build, ThreadPoolExecutor(cfg.containers) as pool:
            for f in [pool.submit(work, it) for it in pending]:
                f.result()  # re-raise a bug in our code; infra failures are records, not raises
    trajs = _collect(out_dir, failed)
    write_trajectories(out_dir / SHARD, trajs)
    manifest.shards = [SHARD]
    _count(manifest, trajs, cfg)
    manifest.write(out_dir)
    return manifest


def _count(manifest: io.Manifest, trajs: list[Trajectory], cfg: RolloutConfig) -> None:
    c = manifest.counts
    c["trajectories"] = len(trajs)
    c["resolved"] = sum(t.resolved is True for t in trajs)
    c["ungraded"] = sum(t.resolved is None for t in trajs)
    manifest.extra["exit_status"] = dict(Counter(t.exit_status for t in trajs))
    manifest.extra["source"] = dict(Counter(t.source for t in trajs))
    manifest.extra["models"] = sorted({t.model for t in trajs})
    graded = [t for t in trajs if t.resolved is not None]
    manifest.extra["resolve_rate"] = round(c["resolved"] / len(graded), 4) if graded else None
