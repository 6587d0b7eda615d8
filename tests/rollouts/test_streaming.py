"""Records that stream: one trajectory shard per rollout, small markers, a manifest read from the shards."""

from __future__ import annotations

import json

import pytest

from agentmt import io
from agentmt.rollouts.records import read_trajectories, write_trajectories

pytestmark = pytest.mark.docker


def test_each_rollout_writes_its_own_shard_and_a_rerun_redoes_only_a_lost_one(two_tasks, demo_tasks,
                                                                              tmp_path):
    from agentmt.rollouts.stage import run_rollouts

    script = tmp_path / "s.json"
    script.write_text(json.dumps([{"bash": "echo hello"}, {"submit": True}]))
    model, out = f"model=scripted:{script}", tmp_path / "out"
    m = run_rollouts(two_tasks, out, model, "k=2")
    ids = [f"{t.instance_id}/{i}" for t in demo_tasks[:2] for i in range(2)]
    shards = {i: f"{i.replace('/', '__')}.parquet" for i in ids}
    assert sorted(m.shards) == sorted(shards.values()) == sorted(p.name for p in out.glob("*.parquet"))
    for tid, name in shards.items():  # one trajectory per shard, the unit's own
        assert [t.id for t in read_trajectories(out / name)] == [tid]
        marker = io.read_json(out / io.DONE_DIR / name)
        assert marker["info"]["id"] == tid and marker["info"]["exit_status"] == "submitted"
        assert "messages" not in json.dumps(marker) and "hello" not in json.dumps(marker)
    assert m.counts["trajectories"] == 4 and m.extra["exit_status"] == {"submitted": 4}
    assert m.extra["source"] == {"rollout": 4} and m.extra["models"] == [f"scripted:{script}"]
    kept = {name: (out / name).read_bytes() for name in shards.values()}

    # a lost shard is redone (its marker lists it), the others are reused byte for byte; a stray shard
    # (the single part-00000 older agentmt wrote) is removed so readers see no duplicate
    lost = shards[ids[1]]
    (out / lost).unlink()
    write_trajectories(out / io.shard_name(0), list(read_trajectories(out / shards[ids[0]])))
    again = run_rollouts(two_tasks, out, model, "k=2")
    assert again.counts["items_reused"] == 3 and again.counts["trajectories"] == 4
    assert sorted(t.id for t in read_trajectories(out)) == sorted(ids)
    assert all((out / n).read_bytes() == b for n, b in kept.items() if n != lost)
    assert not (out / io.shard_name(0)).exists()


def test_a_smaller_k_leaves_only_its_attempts_in_the_folder(two_tasks, tmp_path):
    from agentmt.rollouts.stage import run_rollouts

    script = tmp_path / "s.json"
    script.write_text(json.dumps([{"submit": True}]))
    run_rollouts(two_tasks, tmp_path / "out", f"model=scripted:{script}", "k=2")
    m = run_rollouts(two_tasks, tmp_path / "out", f"model=scripted:{script}", "k=1")
    trajs = list(read_trajectories(tmp_path / "out"))
    assert m.counts["trajectories"] == len(trajs) == 2 and {t.run_index for t in trajs} == {0}
    assert sorted(m.shards) == sorted(p.name for p in (tmp_path / "out").glob("*.parquet"))
