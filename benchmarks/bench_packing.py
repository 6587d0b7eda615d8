"""Packing efficiency (non-padding tokens / all tokens) on a D_ctx corpus. Goal: >= 99%.

Usage: python benchmarks/bench_packing.py [CTX_DIR ...] [--seq-len N] [--model PATH]
Without folders it packs the test fixture corpus. Prints one line per sequence length.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agentmt.io import Manifest
from agentmt.models.checkpoint import resolve_model
from agentmt.training.config import SourceConfig
from agentmt.training.data import build_mixture, doc_text
from agentmt.training.packing import PackStats, iter_packs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="*")
    ap.add_argument("--seq-len", type=int, action="append")
    ap.add_argument("--model", default="embedded")
    args = ap.parse_args()
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(resolve_model(args.model))
    if args.dirs:
        sources = [SourceConfig(path=str(Path(d).resolve())) for d in args.dirs]
    else:
        import tempfile

        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "training"))
        from trainhelp import ctx_rows

        from agentmt import io

        tmp = Path(tempfile.mkdtemp())
        io.write_parquet(tmp / "part-00000.parquet", ctx_rows("py", 200) + ctx_rows("gen", 200))
        sources = [SourceConfig(path=str(tmp))]
    docs = build_mixture(sources, 0, Manifest(stage="bench"))
    tokens = [(d.id, tok(doc_text(d, tok), add_special_tokens=False)["input_ids"]) for d in docs]
    for seq_len in args.seq_len or [1024, 4096, 32768]:
        stats = PackStats()
        for _ in iter_packs(tokens, seq_len, tok.eos_token_id, tok.eos_token_id, stats):
            pass
        print(
            f"packing seq_len={seq_len}: docs={stats.num_docs} tokens={stats.num_tokens} packs={stats.num_packs} "
            f"split_docs={stats.num_split_docs} pad={stats.num_pad} efficiency={stats.efficiency:.4%}"
        )


if __name__ == "__main__":
    main()
