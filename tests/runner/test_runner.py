"""The stage runner on a small stage: resume, fingerprint refusal, --force, retry, executors agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmt import io
from agentmt.errors import StageConflictError
from agentmt.executors import InProcessExecutor, make_executor
from agentmt.runner import StageSpec, Unit, make_manifest, run_stage
from agentmt.types import CtxDocument


def square_shard(unit: Unit, ctx) -> dict:
    """Writes one CtxDocument per number; logs each call so tests can see what ran."""
    with open(ctx.out_dir / "calls.log", "a") as fh:
        fh.write(unit.name + "\n")
    if unit.items == "flaky" and not (ctx.out_dir / "healed").exists():
        return {"retry": True, "drops": {"infra_error": 1}}
    nums = [] if unit.items == "flaky" else unit.items
    docs = [CtxDocument(text=str(n * n) * ctx.shared.get("repeat", 1), id=f"{unit.name}/{n}", repo="o/r",
                        pr_number=n, format="py", num_tokens=n, base_sha="b", head_sha="h") for n in nums]
    io.write_records(ctx.out_dir / unit.name, docs, CtxDocument)
    return {"counts": {"docs": len(docs)}}


def spec(out: Path, units, config=None, inputs=()) -> StageSpec:
    return StageSpec(name="square", out_dir=out, config=config or {"k": 1}, inputs=list(inputs), units=units,
                     process=square_shard)


def units(n: int = 3) -> list[Unit]:
    return [Unit(io.shard_name(i), list(range(i * 4, i * 4 + 4))) for i in range(n)]


def calls(out: Path) -> list[str]:
    return (out / "calls.log").read_text().split()


def shard_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.parquet"))}


def test_rerun_skips_finished_units_and_keeps_bytes(tmp_path):
    out = tmp_path / "out"
    run = run_stage(spec(out, units()))
    assert run.ran == 3 and run.reused == 0 and calls(out) == ["part-00000.parquet", "part-00001.parquet",
                                                               "part-00002.parquet"]
    first = shard_bytes(out)
    (out / io.shard_name(1)).unlink()  # a lost output is redone even with its marker present
    again = run_stage(spec(out, units()))
    assert again.ran == 1 and calls(out)[-1] == "part-00001.parquet" and shard_bytes(out) == first
    assert [i["counts"]["docs"] for i in again.infos] == [4, 4, 4]
    m = make_manifest(spec(out, units()), again)
    assert m.counts["docs"] == 12 and m.extra["fingerprint"] == run.fingerprint


def test_changed_config_or_input_is_refused_then_forced(tmp_path):
    out, inp = tmp_path / "out", tmp_path / "in"
    io.write_records(inp / io.shard_name(0), [], CtxDocument)
    run_stage(spec(out, units(3), inputs=[inp]))
    with pytest.raises(StageConflictError, match="another config, input or agentmt version.*pass --force"):
        run_stage(spec(out, units(3), config={"k": 2}, inputs=[inp]))
    io.Manifest(stage="up").write(inp)  # the input changed: it now has a manifest
    with pytest.raises(StageConflictError, match="--force"):
        run_stage(spec(out, units(3), inputs=[inp]))
    forced = run_stage(spec(out, units(2), config={"k": 2}, inputs=[inp]), force=True)
    assert forced.ran == 2 and sorted(shard_bytes(out)) == ["part-00000.parquet", "part-00001.parquet"]


def test_input_identity_ignores_manifest_timestamps(tmp_path):
    out, inp = tmp_path / "out", tmp_path / "in"
    m = io.Manifest(stage="up", counts={"n": 1})
    m.write(inp)
    run_stage(spec(out, units(1), inputs=[inp]))
    m.started_at += 100  # the same upstream output, rewritten by a rerun at another time
    m.write(inp)
    assert run_stage(spec(out, units(1), inputs=[inp])).ran == 0


def test_retry_units_get_no_marker(tmp_path):
    out = tmp_path / "out"
    u = [*units(1), Unit("part-00001.parquet", "flaky")]
    run = run_stage(spec(out, u))
    assert run.infos[1] == {"retry": True, "drops": {"infra_error": 1}} and not io.is_done(out, "part-00001.parquet")
    (out / "healed").touch()
    again = run_stage(spec(out, u))
    assert again.ran == 1 and again.infos[1] == {"counts": {"docs": 0}}


@pytest.mark.timeout(120)
def test_process_pool_gives_the_same_bytes_as_in_process(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run_stage(spec(a, units(4)), executor=InProcessExecutor())
    run = run_stage(spec(b, units(4)), executor=make_executor("local", jobs=2))
    assert run.ran == 4 and shard_bytes(a) == shard_bytes(b)
    assert sorted(calls(b)) == sorted(calls(a))


def test_shared_values_reach_units_and_setup_runs_only_when_needed(tmp_path):
    out = tmp_path / "out"
    entered = []

    class Setup:
        def __enter__(self):
            entered.append(1)
            return {"repeat": 2}

        def __exit__(self, *exc):
            return False

    s = spec(out, units(1))
    s.setup = Setup
    run_stage(s)
    assert [d.text for d in io.read_records(out, CtxDocument)] == ["00", "11", "44", "99"] and entered == [1]
    run_stage(s)
    assert entered == [1]  # nothing to run: no setup (no model server started for a finished stage)


def test_bad_jobs_and_executor_are_config_errors():
    from agentmt.errors import ConfigError

    with pytest.raises(ConfigError, match="at least 1"):
        make_executor("local", jobs=0)
    with pytest.raises(ConfigError, match="unknown: use one of local, ray"):
        make_executor("slurm")
