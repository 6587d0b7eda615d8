"""Mixtures: where filters, upsampling, seeded recorded order, optional sources counted."""

from __future__ import annotations

from collections import Counter

from agentmt.io import Manifest
from agentmt.training.config import SourceConfig
from agentmt.training.data import build_mixture, make_mixture_order


def test_mixture_upsamples_filters_and_is_seeded(data_dirs):
    sources = [
        SourceConfig(path="ctx-py"),
        SourceConfig(path="env", kind="env", repeat=3.0, where={"resolved": True}),
        SourceConfig(path="env", kind="env", repeat=1.0, where={"resolved": False}),
        SourceConfig(path="missing", kind="env", optional=True),
    ]
    m = Manifest(stage="t")
    docs = build_mixture(sources, 7, m, root=data_dirs["root"])
    ids = [d.id for d in docs]
    # 6 ctx rows, 2 passing trajectories x3, 2 failing x1 = 14; ids unique.
    assert len(ids) == 14 and len(set(ids)) == 14
    per_base = Counter(i.split("~")[0] for i in ids)
    assert per_base["agentmt-demo__calc-7/0"] == 3 and per_base["agentmt-demo__calc-7/1"] == 1
    assert m.drops["source_missing:missing"] == 1 and m.drops["where_filter:env"] == 4
    assert [d.id for d in build_mixture(sources, 7, Manifest(stage="t"), root=data_dirs["root"])] == ids
    assert [d.id for d in build_mixture(sources, 8, Manifest(stage="t"), root=data_dirs["root"])] != ids


def test_fractional_repeat_keeps_the_expected_share():
    order = make_mixture_order([1000], [1.5], seed=0)
    assert 1400 < len(order) < 1600


def test_continue_schedule_spans_stages():
    from agentmt.training.trainer import make_span_lr_factor

    one = make_span_lr_factor(0, 20, 2)
    stage2 = make_span_lr_factor(8, 20, 2)  # stage 1 had 8 steps of the 20
    assert [stage2(i) for i in range(12)] == [one(8 + i) for i in range(12)]
    assert one(0) == 0.5 and one(1) == 1.0 and one(2) == 1.0 and abs(one(20)) < 1e-12


def test_sft_keeps_apart_conversations_that_share_an_id(data_dirs, embedded_checkpoint, tokenizer, tmp_path):
    """Two rollout folders reuse trajectory ids ("<instance>/<run>"); each keeps its own conversation."""
    from agentmt import io
    from agentmt.training.arrowfile import ArrowRows
    from agentmt.training.config import SFTConfig
    from agentmt.training.sft import build_sft_data
    from agentmt.types import Trajectory

    runs = []
    for run in io.read_records(data_dirs["env"], Trajectory):
        for m in run.messages:
            if m.role == "assistant" and m.content:
                m.content = "another model wrote this. " + m.content
        runs.append(run)
    io.write_records(tmp_path / "env2" / io.shard_name(0), runs, Trajectory)
    cfg = SFTConfig(
        data=[SourceConfig(path=str(data_dirs["env"]), kind="env", where={"resolved": True}),
              SourceConfig(path=str(tmp_path / "env2"), kind="env", where={"resolved": True})],
        epochs=1, seq_len=100_000, output_dir=str(tmp_path / "sft"),
    )
    rows = ArrowRows(build_sft_data(cfg, str(embedded_checkpoint)).shards)
    order = [rows.get_id(i).split("@")[0] for i in range(len(rows))]
    assert len(rows) == 4 and len(set(order)) == 2  # two ids, each in both folders
    texts = [tokenizer.decode(rows.get(i, "input_ids")) for i in range(len(rows))]
    marked = Counter(i for i, text in zip(order, texts) if "another model" in text)
    assert marked == {i: 1 for i in set(order)}  # per id: one conversation from each folder


def test_mt_stage_without_documents_is_a_one_line_error(data_dirs, embedded_checkpoint, tmp_path):
    import pytest

    from agentmt.errors import InputError
    from agentmt.training.config import MTConfig
    from agentmt.training.mt import build_stage_data

    cfg = MTConfig(data_root=str(data_dirs["root"]), seq_len=32, output_dir=str(tmp_path),
                   stages=[{"name": "s1", "sources": [{"path": "not-yet", "optional": True}]}])
    with pytest.raises(InputError, match="MT stage 's1' has no document"):
        build_stage_data(cfg.stages[0], cfg, 0, str(embedded_checkpoint))
