"""Secrets in a stage's config reach Ray workers through their environment, never the task arguments."""

from __future__ import annotations

import hashlib

import pytest

ray = pytest.importorskip("ray")

KEY = "sk-planted-ray-4f7c2a9e1b"


@pytest.mark.timeout(300)
def test_a_config_key_is_in_no_ray_task_argument_and_reaches_the_worker(tmp_path, monkeypatch):
    from ray import cloudpickle

    from agentmt.executors.ray import RayExecutor
    from agentmt.runner import StageSpec, Unit, run_stage

    handed: list[bytes] = []
    real_remote = ray.remote

    class Recording:  # what Ray gets: the pickled arguments of every remote call
        def __init__(self, remote_fn):
            self.remote_fn = remote_fn

        def remote(self, *args):
            handed.append(cloudpickle.dumps(args))
            return self.remote_fn.remote(*args)

    monkeypatch.setattr(ray, "remote", lambda **kw: lambda fn: Recording(real_remote(**kw)(fn)))

    def process(unit, ctx):  # by value (the worker cannot import this module), so it must not name KEY
        import hashlib

        cfg = ctx.shared["rollout"]
        seen = cfg["sampling"]["api_key"] + " " + cfg["model"]["base_url"]
        return {"seen": hashlib.sha256(seen.encode()).hexdigest()}

    shared = {"rollout": {"sampling": {"api_key": KEY}, "model": {"base_url": f"http://u:{KEY}@h/v1"}}}
    spec = StageSpec("rollout", tmp_path / "out", {"k": 1}, [], [Unit("a"), Unit("b")], process, shared=shared)
    run = run_stage(spec, executor=RayExecutor(jobs=2))
    want = hashlib.sha256(f"{KEY} http://u:{KEY}@h/v1".encode()).hexdigest()
    assert [i["seen"] for i in run.infos] == [want, want]  # restored on the worker from its env
    assert len(handed) == 2 and not any(KEY.encode() in b for b in handed)
    assert not any(KEY.encode() in p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
