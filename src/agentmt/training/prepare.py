"""The training-data stage: tokenize each source once, then lay out the samples of one training stage.

Runs on the stage runner (`agentmt.runner`), so it has the runner's guarantees: a fingerprint over
the stage's data config (sources, epochs, seq_len, seed), the tokenizer's files, the inputs'
manifests and agentmt's version; atomic, fsynced outputs with completion markers; a finished data
stage is reused, never re-tokenized. Units, in order (`sequential`: the last reads the others):

- `tokens-NNN.arrow`, one per source: its rows that pass `where`, tokenized (MT: the text, or the
  trajectory rendered with the chat template; SFT: the conversation with its assistant mask);
- `packs-NNNNN.arrow` (MT: fixed-length packed sequences, see packing.py) or `samples-NNNNN.arrow`
  (SFT: one conversation per row), in training order: the seeded mixture (repeats, epochs).

Everything is streamed: rows are read one Parquet batch at a time and written one Arrow batch at a
time, and the layout reads the token tables memory-mapped, so memory is flat in the corpus size
(only the order, a few integers per document, is held). The trainer reads the shards memory-mapped.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentmt import io, runner
from agentmt.errors import InputError, RecordDropped
from agentmt.hashing import sha256_file
from agentmt.training.arrowfile import ArrowRows, ArrowWriter
from agentmt.training.config import SourceConfig
from agentmt.training.data import make_mixture_order
from agentmt.training.packing import PackStats, iter_packs

DATA_DIR = "data"
DATA_FORMAT = 1  # bump when the layout of the shards changes
PACK_COLUMNS = ("input_ids", "position_ids", "labels")
SAMPLE_COLUMNS = ("input_ids", "assistant_mask")  # samples shards also hold the sample's `id`
SHARD_TOKENS = 1 << 26  # ~64M tokens per output shard
TOKENIZE_BATCH = 64  # documents per tokenizer call
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                    "vocab.json", "merges.txt", "tokenizer.model")


@dataclass
class PreparedData:
    """A finished data stage: its shards (in training order), manifest and fingerprint."""

    data_dir: Path
    shards: list[Path]
    manifest: dict[str, Any]
    fingerprint: str

    @property
    def num_samples(self) -> int:
        return self.manifest["counts"].get("packs", self.manifest["counts"].get("samples", 0))


def tokenizer_identity(model_path: str) -> dict[str, Any]:
    """What the token ids depend on: the hashes of the tokenizer's files (else its name)."""
    folder = Path(model_path)
    files = {n: sha256_file(folder / n) for n in _TOKENIZER_FILES if (folder / n).is_file()}
    return {"files": files} if files else {"name": model_path}


@lru_cache(maxsize=2)
def _tokenizer(path: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


def _iter_rows(src: SourceConfig, path: Path) -> Iterator[dict[str, Any]]:
    """The rows of a source folder, reading only the columns training needs, one batch at a time."""
    import pyarrow.parquet as pq

    need = "text" if src.kind == "ctx" else "messages"
    columns = {need, "id", *src.where}
    for f in io.shard_files(path):
        if f.suffix == ".jsonl":
            rows = io.read_jsonl(f)
        else:
            pf = pq.ParquetFile(f)
            names = set(pf.schema_arrow.names)
            if need not in names:
                what = "is it a D_env folder? set kind: env" if src.kind == "ctx" else "is it a D_ctx folder? set kind: ctx"
                raise InputError(f"{f} has no `{need}` column: {what}")
            rows = (r for b in pf.iter_batches(batch_size=256, columns=sorted(columns & names)) for r in b.to_pylist())
        for row in rows:
            if need not in row:
                raise InputError(f"{f} rows have no `{need}` field: set the source's kind")
            yield row


def _tokenize_source(i: int, shared: dict[str, Any], out: Path) -> dict[str, Any]:
    from agentmt.training.chat import render_conversation, render_text

    src = SourceConfig(**shared["sources"][i])
    path = Path(shared["root"]) / src.path
    tok = _tokenizer(shared["tokenizer"])
    counts, drops = Counter(), Counter()
    sft = shared["kind"] == "sft"
    name = f"tokens-{i:03d}.arrow"
    pending: list[tuple[str, str]] = []  # MT texts tokenized in batches: the fast tokenizer's batch call is faster

    def flush(w: ArrowWriter) -> None:
        if pending:
            enc = tok([t for _, t in pending], add_special_tokens=False)["input_ids"]
            for (doc_id, _), ids in zip(pending, enc):
                w.write({"id": doc_id, "input_ids": ids})
            pending.clear()

    with ArrowWriter(out / name, ("id", *(SAMPLE_COLUMNS if sft else ("input_ids",)))) as w:
        if not path.exists():
            if not src.optional:
                raise InputError(f"{path} does not exist: run the stage that writes it or mark the source optional")
            drops[f"source_missing:{src.path}"] += 1
        for n, row in enumerate(_iter_rows(src, path) if path.exists() else ()):
            if not all(row.get(k) == v for k, v in src.where.items()):
                drops[f"where_filter:{src.path}"] += 1
                continue
            doc_id = str(row.get("id") or f"{src.path}:{n}")
            if sft:
                try:
                    s = render_conversation(row["messages"], tok, max_len=shared["seq_len"])
                except RecordDropped as e:
                    drops[e.reason] += 1
                    continue
                counts["truncated"] += int(s.truncated)
                w.write({"id": doc_id, "input_ids": s.input_ids, "assistant_mask": s.assistant_mask})
            else:
                pending.append((doc_id, row["text"] if src.kind == "ctx" else render_text(row["messages"], tok)))
                if len(pending) >= TOKENIZE_BATCH:
                    flush(w)
            counts[f"rows:{src.path}"] += 1
        flush(w)
    return {"counts": dict(counts), "drops": dict(drops), "outputs": [name]}


class _ShardedWriter:
    """Rows into `prefix-NNNNN.arrow` files of about SHARD_TOKENS tokens each."""

    def __init__(self, out: Path, prefix: str, columns: tuple[str, ...]):
        self.out, self.prefix, self.columns = out, prefix, columns
        self.names: list[str] = []
        self._w: ArrowWriter | None = None
        self._tokens = 0

    def write(self, row: dict[str, Any]) -> None:
        if self._w is None:
            self.names.append(f"{self.prefix}-{len(self.names):05d}.arrow")
            self._w = ArrowWriter(self.out / self.names[-1], self.columns)
        self._w.write(row)
        self._tokens += len(row["input_ids"])
        if self._tokens >= SHARD_TOKENS:
            self.close()

    def close(self) -> None:
        if self._w is not None:
            self._w.close()
        self._w, self._tokens = None, 0


def _order(shared: dict[str, Any], tables: list[ArrowRows]) -> list[tuple[int, int, str]]:
    """(table, row, sample id) in training order: the seeded mixture, then (SFT) epochs of it shuffled."""
    sources = [SourceConfig(**s) for s in shared["sources"]]
    sizes = [len(t) for t in tables]
    if shared["kind"] == "mt":
        mix = make_mixture_order(sizes, [s.repeat * shared["epochs"] for s in sources], shared["seed"])
        return [(s, i, f"{tables[s].get_id(i)}~{k}" if k else tables[s].get_id(i)) for s, i, k in mix]
    base = [(s, i, f"{tables[s].get_id(i)}~{k}" if k else tables[s].get_id(i))
            for s, i, k in make_mixture_order(sizes, [s.repeat for s in sources], shared["seed"])]
    out = []
    for e in range(math.ceil(shared["epochs"])):
        epoch = [(s, i, f"{d}@{e}") for s, i, d in base]
        random.Random(shared["seed"] * 1000 + e).shuffle(epoch)
        out += epoch[: round(len(epoch) * min(1.0, shared["epochs"] - e))]
    return out


def _layout(shared: dict[str, Any], out: Path) -> dict[str, Any]:
    tables = [ArrowRows([out / f"tokens-{i:03d}.arrow"]) for i in range(len(shared["sources"]))]
    order = _order(shared, tables)
    counts: Counter = Counter(mixture_docs=len(order))
    extra: dict[str, Any] = {}
    if shared["kind"] == "mt":
        writer = _ShardedWriter(out, "packs", PACK_COLUMNS)
        docs = ((d, tables[s].get(i, "input_ids").tolist()) for s, i, d in order)
        stats = PackStats()
        for p in iter_packs(docs, shared["seq_len"], shared["eos"], shared["pad"], stats):
            writer.write({"input_ids": p.input_ids, "position_ids": p.position_ids, "labels": p.labels})
        counts.update(packs=stats.num_packs, split_docs=stats.num_split_docs, doc_tokens=stats.num_tokens,
                      pad_tokens=stats.num_pad)
        extra["packing_efficiency"] = stats.efficiency
    else:
        writer = _ShardedWriter(out, "samples", ("id", *SAMPLE_COLUMNS))
        for s, i, doc_id in order:
            ids, mask = tables[s].get(i, "input_ids"), tables[s].get(i, "assistant_mask")
            writer.write({"id": doc_id, "input_ids": ids, "assistant_mask": mask})
            counts["tokens"] += len(ids)
            counts["assistant_tokens"] += int(mask.sum())
        counts["samples"] = len(order)
    writer.close()
    return {"counts": dict(counts), "extra": extra, "outputs": writer.names}


def process(unit: runner.Unit, ctx: runner.UnitContext) -> dict[str, Any]:
    """One unit of the data stage (module level: the runner's contract)."""
    if unit.items["op"] == "tokens":
        return _tokenize_source(unit.items["source"], ctx.shared, ctx.out_dir)
    return _layout(ctx.shared, ctx.out_dir)


def build_training_data(
    *, kind: str, name: str, stage_dir: Path, sources: list[SourceConfig], root: str, epochs: float, seq_len: int,
    seed: int, tokenizer_path: str,
) -> PreparedData:
    """Run (or reuse) the data stage of one training stage; its outputs go to STAGE_DIR/data."""
    tok = _tokenizer(tokenizer_path)
    eos = tok.eos_token_id
    pad = tok.pad_token_id if tok.pad_token_id is not None else eos
    data_cfg = {"kind": kind, "sources": [s.model_dump() for s in sources], "epochs": epochs, "seq_len": seq_len,
                "seed": seed, "eos": eos, "pad": pad, "format": DATA_FORMAT}
    units = [runner.Unit(f"tokens-{i:03d}.arrow", {"op": "tokens", "source": i}) for i in range(len(sources))]
    units.append(runner.Unit("packs" if kind == "mt" else "samples", {"op": "layout"}))
    spec = runner.StageSpec(
        name=f"train_data:{name}", out_dir=stage_dir / DATA_DIR, config=data_cfg,
        inputs=[Path(root) / s.path for s in sources], units=units, process=process,
        identity={"tokenizer": tokenizer_identity(tokenizer_path)},
        shared={**data_cfg, "root": str(root), "tokenizer": tokenizer_path}, sequential=True,
    )
    fp = runner.fingerprint(spec)
    stage_file = spec.out_dir / runner.STAGE_FILE
    old = io.read_json(stage_file).get("fingerprint") if stage_file.exists() else None
    started = any(stage_dir.glob("checkpoint-*"))
    if started and old not in (None, fp):
        raise InputError(f"the data or seed changed since {stage_dir} was started: use a new output_dir")
    from agentmt.training.trainer import process_state

    # Under a multi-process launch the main process builds the data while the others wait, then
    # find it finished (same fingerprint) and only read it. Before training starts, data made with
    # another config or input is simply rebuilt.
    state = process_state()
    with state.main_process_first():
        run = runner.run_stage(spec, force=not started)
        layout = run.infos[-1]
        manifest = runner.make_manifest(spec, run, shards=layout["outputs"])
        manifest.extra.update(layout.get("extra", {}))
        if state.is_main_process:
            manifest.write(spec.out_dir)
    shards = [spec.out_dir / n for n in layout["outputs"]]
    return PreparedData(spec.out_dir, shards, manifest.to_dict(), run.fingerprint)
