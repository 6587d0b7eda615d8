"""A stage fingerprint holds no secret: a new API key alone reruns nothing, any other change still does."""

from __future__ import annotations

from agentmt.runner import StageSpec, Unit, run_stage, stage_fingerprint


def _config(key: str, model: str = "m") -> dict:
    return {"sampling": {"api_key": key}, "model": {"name": model, "base_url": f"http://u:{key}@h/v1"}}


def _process(unit, ctx):
    (ctx.out_dir / unit.name).write_text("x")
    return {}


def test_a_new_key_alone_keeps_the_fingerprint_and_the_finished_work(tmp_path):
    a, b = "sk-first-key-0001", "sk-second-key-0002"
    assert stage_fingerprint("s", _config(a), []) == stage_fingerprint("s", _config(b), [])
    assert stage_fingerprint("s", _config(a), []) != stage_fingerprint("s", _config(a, "other"), [])

    def spec(key):
        return StageSpec("s", tmp_path / "out", _config(key), [], [Unit("u1"), Unit("u2")], _process)

    assert run_stage(spec(a)).ran == 2
    again = run_stage(spec(b))  # no StageConflictError, nothing redone
    assert (again.ran, again.reused) == (0, 2)
    assert not any(k.encode() in p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()
                   for k in (a, b))


def test_a_pipeline_stage_with_a_new_key_spec_keeps_its_fingerprint(tmp_path):
    from agentmt.pipeline.run import pipeline_fingerprint
    from agentmt.pipeline.spec import PipelineStage

    def fp(*config):
        return pipeline_fingerprint(PipelineStage(name="r", kind="rollout", config=list(config)), {}, tmp_path,
                                    tmp_path)

    assert fp("sampling.api_key=sk-first-key-0001", "k=2") == fp("sampling.api_key=sk-second-key-0002", "k=2")
    assert fp("sampling.api_key=sk-first-key-0001", "k=2") != fp("sampling.api_key=sk-first-key-0001", "k=3")
