"""The training-data stage: streamed packs equal the in-memory reference, reuse without re-tokenizing,
rebuild before training starts, refusal after, typed Trajectory rows rendered like OpenAI dicts."""

from __future__ import annotations

import pytest

from agentmt import io
from agentmt.errors import InputError
from agentmt.training import prepare
from agentmt.training.arrowfile import ArrowRows
from agentmt.training.config import SourceConfig
from agentmt.training.data import build_mixture, doc_text
from agentmt.training.packing import iter_packs

SOURCES = [
    SourceConfig(path="ctx-py"),
    SourceConfig(path="env", kind="env", repeat=3.0, where={"resolved": True}),
    SourceConfig(path="env", kind="env", repeat=1.0, where={"resolved": False}),
    SourceConfig(path="missing", kind="env", optional=True),
]


def _build(data_dirs, checkpoint, stage_dir, seed=3, seq_len=64):
    return prepare.build_training_data(
        kind="mt", name="mt:t", stage_dir=stage_dir, sources=SOURCES, root=str(data_dirs["root"]), epochs=1.0,
        seq_len=seq_len, seed=seed, tokenizer_path=str(checkpoint),
    )


def _packs(data):
    rows = ArrowRows(data.shards)
    return [tuple(rows.get(i, c).tolist() for c in prepare.PACK_COLUMNS) for i in range(len(rows))]


def test_streamed_packs_equal_the_in_memory_reference(data_dirs, embedded_checkpoint, tokenizer, tmp_path):
    data = _build(data_dirs, embedded_checkpoint, tmp_path / "s")
    docs = build_mixture(SOURCES, 3, io.Manifest(stage="ref"), root=data_dirs["root"])
    tokens = [(d.id, tokenizer(doc_text(d, tokenizer), add_special_tokens=False)["input_ids"]) for d in docs]
    eos = tokenizer.eos_token_id
    ref = [(p.input_ids, p.position_ids, p.labels) for p in iter_packs(tokens, 64, eos, tokenizer.pad_token_id or eos)]
    assert _packs(data) == ref and len(ref) > 10
    m = data.manifest
    assert m["counts"]["mixture_docs"] == len(docs) == 6 + 2 * 3 + 2
    assert m["counts"]["packs"] == len(ref) and m["drops"]["where_filter:env"] == 4
    assert m["drops"]["source_missing:missing"] == 1
    assert io.read_manifest(data.data_dir)["extra"]["fingerprint"] == data.fingerprint


def test_finished_data_is_reused_without_tokenizing(data_dirs, embedded_checkpoint, tmp_path, monkeypatch):
    first = _build(data_dirs, embedded_checkpoint, tmp_path / "s")
    stamps = {p: p.stat().st_mtime_ns for p in first.data_dir.glob("*.arrow")}

    def no_tokenizing(*args, **kwargs):
        raise AssertionError("a finished data stage was tokenized again")

    monkeypatch.setattr(prepare, "_tokenize_source", no_tokenizing)
    monkeypatch.setattr(prepare, "_layout", no_tokenizing)
    again = _build(data_dirs, embedded_checkpoint, tmp_path / "s")
    assert again.fingerprint == first.fingerprint and again.shards == first.shards
    assert {p: p.stat().st_mtime_ns for p in first.data_dir.glob("*.arrow")} == stamps


def test_changed_data_is_rebuilt_before_training_and_refused_after(data_dirs, embedded_checkpoint, tmp_path):
    stage_dir = tmp_path / "s"
    first = _build(data_dirs, embedded_checkpoint, stage_dir)
    first_packs = _packs(first)
    other = _build(data_dirs, embedded_checkpoint, stage_dir, seed=4)  # nothing trained yet: rebuilt
    assert other.fingerprint != first.fingerprint and _packs(other) != first_packs
    assert sorted(p.name for p in other.data_dir.glob("packs-*")) == [p.name for p in other.shards]
    (stage_dir / "checkpoint-1").mkdir()  # training has started on the seed-4 data
    with pytest.raises(InputError, match="changed since .* was started"):
        _build(data_dirs, embedded_checkpoint, stage_dir)
    assert _build(data_dirs, embedded_checkpoint, stage_dir, seed=4).fingerprint == other.fingerprint


def test_typed_trajectory_rows_render_like_openai_dicts(data_dirs, tokenizer):
    """Arrow rows hold every Message field (content None, tool_calls [], reasoning_content None)."""
    from agentmt.training.chat import render_conversation, render_text
    from agentmt.types import Trajectory

    rows = list(io.read_rows(data_dirs["env"]))
    records = list(io.read_records(data_dirs["env"], Trajectory))
    msgs = rows[0]["messages"]
    assert any(m["tool_calls"] == [] for m in msgs) and any(m["reasoning_content"] is None for m in msgs)
    assert render_text(msgs, tokenizer) == render_text(records[0].messages, tokenizer)
    a, b = render_conversation(msgs, tokenizer), render_conversation(records[0].messages, tokenizer)
    assert (a.input_ids, a.assistant_mask) == (b.input_ids, b.assistant_mask) and any(a.assistant_mask)
    none_content = [{**m, "content": None} if m["role"] == "assistant" and m["tool_calls"] else m for m in msgs]
    assert "<function=" in render_text(none_content, tokenizer)
