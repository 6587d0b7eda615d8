"""Data mixtures: shard folders with filters and upsampling, shuffled together in a seeded order.

Guarantees: the order depends only on the rows and the seed (same inputs → same order, so a resumed
run sees the same sequence); every row not used is counted in the manifest with a reason; a
fractional `repeat` r keeps every row floor(r) times and once more with probability frac(r).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentmt import io
from agentmt.errors import InputError
from agentmt.io import Manifest
from agentmt.training.config import SourceConfig


@dataclass(slots=True)
class MixDoc:
    """One document occurrence in a mixture: `id` is unique (repeats get a `~k` suffix)."""

    id: str
    kind: str  # "ctx" | "env"
    row: dict[str, Any]


def _matches(row: dict[str, Any], where: dict[str, Any]) -> bool:
    return all(row.get(k) == v for k, v in where.items())


def load_source(src: SourceConfig, manifest: Manifest, root: str | Path = ".") -> list[dict[str, Any]]:
    """Rows of one source folder (relative paths under `root`) that pass its `where` filter."""
    path = Path(root) / src.path
    if not path.exists():
        if src.optional:
            manifest.drop(f"source_missing:{src.path}")
            return []
        raise InputError(f"{path} does not exist: run the stage that writes it or mark the source optional")
    kept = []
    for row in io.read_rows(path):
        if src.kind == "ctx" and "text" not in row:
            raise InputError(f"{path} rows have no `text` column: is it a D_env folder? set kind: env")
        if src.kind == "env" and "messages" not in row:
            raise InputError(f"{path} rows are not Trajectory records: is it a D_ctx folder? set kind: ctx")
        if _matches(row, src.where):
            kept.append(row)
        else:
            manifest.drop(f"where_filter:{src.path}")
    manifest.counts[f"rows:{src.path}"] += len(kept)
    return kept


def make_mixture_order(sizes: list[int], repeats: list[float], seed: int) -> list[tuple[int, int, int]]:
    """(source, row, copy) triples: each row repeated per its source's factor, then shuffled with `seed`."""
    rng = random.Random(seed)
    out: list[tuple[int, int, int]] = []
    for s, (n, r) in enumerate(zip(sizes, repeats)):
        whole, frac = math.floor(r), r - math.floor(r)
        for i in range(n):
            copies = whole + (1 if frac and rng.random() < frac else 0)
            out.extend((s, i, k) for k in range(copies))
    rng.shuffle(out)
    return out


def build_mixture(
    sources: list[SourceConfig], seed: int, manifest: Manifest, epochs: float = 1.0, root: str | Path = "."
) -> list[MixDoc]:
    """Load every source and return the mixture's documents in training order (epochs scale the repeats)."""
    rows = [load_source(s, manifest, root) for s in sources]
    order = make_mixture_order([len(r) for r in rows], [s.repeat * epochs for s in sources], seed)
    docs = []
    for s, i, k in order:
        row = rows[s][i]
        base = str(row.get("id") or f"{sources[s].path}:{i}")
        docs.append(MixDoc(f"{base}~{k}" if k else base, sources[s].kind, row))
    manifest.counts["mixture_docs"] += len(docs)
    return docs


def doc_messages(doc: MixDoc) -> list[dict[str, Any]]:
    """The chat messages of an `env` document (the `messages` column of a Trajectory shard)."""
    return doc.row["messages"]


def doc_text(doc: MixDoc, tokenizer) -> str:
    """MT text of a document: D_ctx text as is; a trajectory rendered with the chat template (no mask)."""
    if doc.kind == "ctx":
        return doc.row["text"]
    from agentmt.training.chat import render_text

    return render_text(doc_messages(doc), tokenizer)
