"""Training-data stage: tokens per second and peak RSS at 1x and 10x the demo corpus (flat is the goal).

Usage: python benchmarks/bench_train_data.py DEMO_OUT [--scales 1,10] [--seq-len 1024]
DEMO_OUT is a folder holding the demo's ctx-py, ctx-gen and trajectories outputs (`make demo`, or
`agentmt ctx render --no-llm` on the demo's mined PRs). The corpus at scale k is k copies of every row
(distinct ids). Each measurement runs in a fresh process: the data stage (`prepare.build_training_data`,
streamed Arrow shards) side by side with the reference it replaced, which held the mixture's rows,
token lists and packs as Python lists (the old `make_stage_packs`). Prints, per scale and side, tokens/s
and peak RSS above the process's RSS once the tokenizer is loaded.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SOURCES = [
    {"path": "ctx-gen", "kind": "ctx"},
    {"path": "ctx-py", "kind": "ctx"},
    {"path": "trajectories", "kind": "env", "repeat": 3.0, "where": {"resolved": True}},
]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def make_corpus(demo: Path, scale: int, out: Path) -> Path:
    """`scale` copies of the demo's ctx-py, ctx-gen and trajectory rows, one Parquet shard per copy."""
    import pyarrow.parquet as pq

    from agentmt import io

    for name in ("ctx-py", "ctx-gen", "trajectories"):
        for f in io.shard_files(demo / name):
            table = pq.read_table(f)
            for k in range(scale):
                ids = [f"{i}~copy{k}" for i in table.column("id").to_pylist()]
                copy = table.set_column(table.schema.get_field_index("id"), "id", [ids])
                target = out / name / f"{f.stem}-copy{k:04d}.parquet"
                target.parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(copy.replace_schema_metadata(table.schema.metadata), target)
    return out


def child(mode: str, root: Path, seq_len: int) -> dict:
    from agentmt.models.checkpoint import resolve_model
    from agentmt.training.config import SourceConfig

    model = resolve_model("embedded")
    sources = [SourceConfig(**s) for s in SOURCES]
    from agentmt.training.prepare import _tokenizer

    tok = _tokenizer(model)
    base = _rss_mb()
    t0 = time.perf_counter()
    if mode == "stage":
        from agentmt.training.prepare import build_training_data

        data = build_training_data(kind="mt", name="bench", stage_dir=root / "stage", sources=sources,
                                   root=str(root), epochs=1.0, seq_len=seq_len, seed=0, tokenizer_path=model)
        tokens = data.manifest["counts"]["doc_tokens"]
    else:
        from agentmt.io import Manifest
        from agentmt.training.data import build_mixture, doc_text
        from agentmt.training.packing import PackStats, iter_packs

        docs = build_mixture(sources, 0, Manifest(stage="ref"), root=root)
        ids = ((d.id, tok(doc_text(d, tok), add_special_tokens=False)["input_ids"]) for d in docs)
        stats = PackStats()
        packs = [(p.input_ids, p.position_ids, p.labels) for p in iter_packs(ids, seq_len, tok.eos_token_id,
                                                                           tok.eos_token_id, stats)]
        tokens = stats.num_tokens
        assert packs
    seconds = time.perf_counter() - t0
    return {"tokens": tokens, "seconds": seconds, "peak_above_base_mb": _rss_mb() - base, "base_mb": base}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("demo", type=Path)
    ap.add_argument("--scales", default="1,10")
    ap.add_argument("--seq-len", type=int, default=1024)
    ap.add_argument("--child", nargs=2, metavar=("MODE", "ROOT"))
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]), args.seq_len)))
        return
    results = {}
    for scale in [int(s) for s in args.scales.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            root = make_corpus(args.demo.resolve(), scale, Path(tmp))
            for mode in ("stage", "reference"):
                out = subprocess.run([sys.executable, __file__, str(args.demo), "--seq-len", str(args.seq_len),
                                      "--child", mode, str(root)], check=True, capture_output=True, text=True)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                results[(scale, mode)] = r
                print(f"{scale:>4}x {mode:<9} tokens={r['tokens']:>10,} {r['tokens'] / r['seconds']:>10,.0f} tokens/s "
                      f"peak RSS +{r['peak_above_base_mb']:.0f} MB (base {r['base_mb']:.0f} MB)")
    scales = sorted({s for s, _ in results})
    if len(scales) > 1:
        lo, hi = scales[0], scales[-1]
        for mode in ("stage", "reference"):
            a, b = results[(lo, mode)], results[(hi, mode)]
            print(f"{mode}: {hi}x/{lo}x corpus -> peak RSS above base {b['peak_above_base_mb']:.0f} / "
                  f"{a['peak_above_base_mb']:.0f} MB, throughput ratio {b['tokens'] / b['seconds'] / (a['tokens'] / a['seconds']):.2f}")
        s, r = results[(hi, "stage")], results[(hi, "reference")]
        print(f"at {hi}x: stage/reference throughput {s['tokens'] / s['seconds'] / (r['tokens'] / r['seconds']):.2f}")


if __name__ == "__main__":
    main()
