"""Benchmark: end-to-end mine + render + tokenize (--no-llm), PRs per second per core.

"Per core" divides by the CPU seconds this process and its children (git) spent, so the figure does
not depend on how many cores the machine has or how busy it is. Goal: ≥50 PRs/s per core.

    python benchmarks/bench_e2e.py [--prs 1500]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_mine import cpu as _cpu_split  # noqa: E402
from make_history import make_history  # noqa: E402


def cpu() -> float:
    """CPU seconds of this process plus its finished children (git), together."""
    return sum(_cpu_split())


def run(repo: Path, work: Path, fmt: str) -> dict[str, float]:
    from agentmt.corpus.render import render_ctx
    from agentmt.sources.mine import mine_git

    c0, t0 = cpu(), time.perf_counter()
    mined = mine_git(repo, work / f"prs-{fmt}", f"filters.profile={fmt}", "progress=false")
    c1 = cpu()
    rendered = render_ctx(work / f"prs-{fmt}", work / f"ctx-{fmt}", fmt, "progress=false", no_llm=True)
    c2, t2 = cpu(), time.perf_counter()
    prs = mined.counts["prs_seen"]
    return {
        "prs_seen": prs,
        "docs": rendered.counts.get("kept", 0),
        "mine_cpu_s": c1 - c0,
        "render_cpu_s": c2 - c1,
        "wall_s": t2 - t0,
        "prs_per_cpu_s": prs / (c2 - c0),
        "docs_per_cpu_s": rendered.counts.get("kept", 0) / (c2 - c0),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prs", type=int, default=1500)
    args = ap.parse_args()
    from agentmt.corpus.tokenize import load_tokenizer

    load_tokenizer("embedded")  # converting the embedded checkpoint is set-up, not pipeline time
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "history"
        print("history:", make_history(repo, num_prs=args.prs))
        for fmt in ("py", "gen"):
            r = run(repo, Path(tmp), fmt)
            print(f"{fmt}: {r['prs_seen']} PRs mined, {r['docs']} documents; mine {r['mine_cpu_s']:.1f} CPU-s, "
                  f"render+tokenize {r['render_cpu_s']:.1f} CPU-s, {r['wall_s']:.1f}s wall → "
                  f"{r['prs_per_cpu_s']:.0f} PRs/s per core (goal ≥50), "
              f"{r['docs_per_cpu_s']:.0f} kept documents/s per core")


if __name__ == "__main__":
    main()
