"""Benchmark-side decontamination (spec App. D): each evaluation task against the training data used.

For task e with G_e the unique 13-grams of its problem statement + gold patch, and every training
document x (a D_ctx document's text, a D_env trajectory's messages, a training task's statement +
patch), leakage(e) = max_x |G_e ∩ G_x| / |G_e|; e is flagged when leakage(e) >= τ (0.10). The
n-gram judge is corpus/decontam.py's, the one the curation side uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agentmt.corpus.decontam import EvalInstance, build_index, leakage
from agentmt.errors import InputError
from agentmt.types import TaskInstance


def task_text(t: TaskInstance) -> str:
    return f"{t.problem_statement}\n{t.patch}"


def training_texts(path: str | Path) -> Iterator[tuple[str, str]]:
    """(document id, text) of every record in a training-data folder or file, by its record type."""
    from agentmt import io
    from agentmt.types import CtxDocument, Trajectory

    path = Path(path)
    if path.is_dir() and not any(path.glob("*.parquet")) and not any(path.glob("*.jsonl")):
        # a folder of sub-folders (envdata render writes mt/pass, mt/fail, sft/pass, sft/fail)
        subs = sorted({p.parent for p in path.rglob("*.parquet") if not p.name.startswith(".")}
                      | {p.parent for p in path.rglob("*.jsonl") if not p.name.startswith(".")})
        if subs:
            for sub in subs:
                yield from training_texts(sub)
            return
    shards = io.shard_files(path)
    if any(s.suffix == ".parquet" for s in shards):  # a stage folder holds the same rows as JSONL too
        shards = [s for s in shards if s.suffix == ".parquet"]
    for shard in shards:
        kind = (io.record_meta(shard) or {}).get("record") if shard.suffix == ".parquet" else None
        if kind == "CtxDocument":
            for d in io.read_records(shard, CtxDocument):
                yield d.id, d.text
        elif kind == "Trajectory":
            for t in io.read_records(shard, Trajectory):
                yield t.id, "\n".join(m.content or "" for m in t.messages)
        elif kind in ("TaskInstance", None):  # task rows, JSONL, or plain text/chat rows (D_env render)
            yield from _rows(shard)
        else:
            raise InputError(f"{shard} holds {kind} records: pass D_ctx, D_env, trajectory or task folders")


def _rows(shard: Path) -> Iterator[tuple[str, str]]:
    from agentmt import io

    for n, row in enumerate(io.read_rows(shard)):
        if "text" in row:
            yield str(row.get("id", n)), str(row["text"])
        elif "problem_statement" in row:
            yield str(row.get("instance_id", n)), f"{row['problem_statement']}\n{row.get('patch', '')}"
        elif "messages" in row:
            msgs = row["messages"]
            yield str(row.get("id", n)), "\n".join(str(m.get("content") or "") for m in msgs if isinstance(m, dict))
        else:
            raise InputError(f"{shard} row {n} has no text, messages or problem_statement: not training data")


def make_decontam_report(tasks: list[TaskInstance], train_paths: list[str | Path], *,
                         threshold: float = 0.10, ngram: int = 13) -> dict[str, Any]:
    """Per-instance leakage (max over the training documents, with the document that reached it),
    the flagged ids (leakage >= threshold) and a summary; no training data: every leakage is 0."""
    instances = [EvalInstance(t.instance_id, t.repo, 0, t.base_commit, text=task_text(t)) for t in tasks]
    idx = build_index(instances, repos=[], ngram=ngram)
    best = [0.0] * len(tasks)
    source = [""] * len(tasks)
    docs = 0
    for path in train_paths:
        for doc_id, text in training_texts(path):
            docs += 1
            for k, ratio in leakage(text, idx, ngram).items():
                if ratio > best[k]:
                    best[k], source[k] = ratio, f"{path}:{doc_id}"
    per = {t.instance_id: {"leakage": round(best[i], 4), "ngrams": idx.sizes[i], "max_document": source[i],
                           "flagged": best[i] >= threshold and idx.sizes[i] > 0}
           for i, t in enumerate(tasks)}
    flagged = sorted(i for i, r in per.items() if r["flagged"])
    return {"threshold": threshold, "ngram": ngram, "train_data": [str(p) for p in train_paths],
            "documents": docs, "instances": per, "flagged": flagged,
            "summary": {"num_instances": len(tasks), "num_flagged": len(flagged),
                        "max_leakage": max((r["leakage"] for r in per.values()), default=0.0)}}
