"""Runner overhead: the same `ctx render` stage through the stage runner vs a plain loop over shards.

The plain loop calls `render_shard` on each input shard in order, with no fingerprint, markers or
manifest; the runner adds the input hash, the fingerprint check, one fsynced marker per shard and
the manifest. Both render the demo's PRs copied into `--copies` distinct PRs (other numbers),
`--shards` shards, format gen, no LLM, curation off (the part both share). Runs alternate; the
best of `--repeat` each is compared. Prints the ratio runner / plain (1.00 = no overhead).
"""

from __future__ import annotations

import argparse
import copy
import shutil
import tempfile
import time
from pathlib import Path

SPECS = ("progress=false", "curation.enabled=false")


def make_input(root: Path, copies: int, shards: int) -> Path:
    """Demo PRs, `copies` times with distinct numbers, in `shards` PullRequest shards."""
    from agentmt import io
    from agentmt.sources.demo import build_demo
    from agentmt.sources.mine import mine_git
    from agentmt.types import PullRequest

    info = build_demo(root / "demo")
    mine_git(info.repo_path, root / "mined", "progress=false", "filters.profile=gen", metadata_dir=info.metadata_dir)
    base = list(io.read_records(root / "mined", PullRequest))
    prs = []
    for k in range(copies):
        for pr in base:
            c = copy.deepcopy(pr)
            c.number += 1000 * (k + 1)
            c.id = f"{c.repo}#{c.number}"
            prs.append(c)
    out = root / "prs"
    per = -(-len(prs) // shards)
    for i in range(shards):
        io.write_records(out / io.shard_name(i), prs[i * per:(i + 1) * per], PullRequest)
    io.Manifest(stage="bench_input", counts={"prs": len(prs)}).write(out)
    return out


def plain_loop(prs: Path, out: Path) -> int:
    from agentmt import io
    from agentmt.config import make_config
    from agentmt.corpus.render import CtxConfig, render_shard
    from agentmt.corpus.tokenize import load_tokenizer

    cfg = make_config(CtxConfig, "ctx", *SPECS)
    tokenizer = load_tokenizer(cfg.tokenizer)
    seen: set[str] = set()
    kept = 0
    for i, path in enumerate(io.shard_files(prs)):
        kept += render_shard(path, out / io.shard_name(i), "gen", cfg, seen, tokenizer, None)["counts"]["kept"]
    return kept


def through_runner(prs: Path, out: Path, executor=None) -> int:
    from agentmt.corpus.render import render_ctx

    return render_ctx(prs, out, "gen", *SPECS, no_llm=True, executor=executor).counts["kept"]


def timed(fn, *args) -> tuple[float, int]:
    t = time.perf_counter()
    n = fn(*args)
    return time.perf_counter() - t, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-runner-"))
    try:
        prs = make_input(root, args.copies, args.shards)
        from agentmt.corpus.tokenize import load_tokenizer

        load_tokenizer("embedded")  # loaded once per process for both sides
        plain, runner = [], []
        for r in range(args.repeat):
            t, n_plain = timed(plain_loop, prs, root / f"plain{r}")
            plain.append(t)
            t, n_runner = timed(through_runner, prs, root / f"runner{r}")
            runner.append(t)
        assert n_plain == n_runner, (n_plain, n_runner)
        a = {p.name: p.read_bytes() for p in (root / "plain0").glob("*.parquet")}
        b = {p.name: p.read_bytes() for p in (root / "runner0").glob("*.parquet")}
        assert a == b, "runner and plain loop wrote different shards"
        print(f"{n_runner} documents in {args.shards} shards; plain loop best {min(plain):.2f}s, "
              f"runner best {min(runner):.2f}s")
        print(f"runner / plain loop: {min(runner) / min(plain):.3f}x (same bytes)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
