"""Benchmark: `mine github` through the local GitHub (tests/sources/github_server.py).

1. API requests per mined PR, amortised, on the demo and on a synthetic history (goal <= 3), and the
   requests the contents API would have cost for the same files (2 per changed path per PR) instead
   of one git clone.
2. Records per second: `mine github` vs `mine git --metadata` (the reference) on the same synthetic
   repository, and with --executor ray vs local over several repositories, on this machine's cores.

    python benchmarks/bench_github.py [--prs 600] [--repos 4]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "sources"))

from github_server import DemoRepo, FakeGitHub, make_demo
from make_history import make_history


def write_metadata(repo: Path, folder: Path, name: str) -> int:
    """GitHub-shaped pulls.json/repo.json for every PR merge or squash commit of the mainline."""
    from agentmt.sources.prdetect import make_pr_header

    out = subprocess.run(["git", "-C", str(repo), "log", "--first-parent", "--format=%H%x00%P%x00%aI%x00%B%x01",
                          "HEAD"], capture_output=True, text=True, check=True).stdout
    pulls = []
    for rec in out.split("\x01"):
        if not rec.strip():
            continue
        sha, parents, date, msg = rec.strip("\n").split("\x00")
        ps = parents.split()
        h = make_pr_header(sha, ps, msg)
        if h is None or h.kind == "synthetic":
            continue
        user = {"login": "dev", "type": "User"}
        head = ps[1] if len(ps) > 1 else sha
        pulls.append({"number": h.number, "title": h.title, "body": h.body, "user": user, "created_at": date,
                      "merged_at": date, "merge_commit_sha": sha, "merged_by": user, "state": "closed",
                      "head": {"sha": head, "ref": f"b{h.number}", "label": f"dev:b{h.number}"},
                      "base": {"sha": ps[0], "ref": "main", "label": "org:main"}})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pulls.json").write_text(json.dumps(pulls))
    (folder / "repo.json").write_text(json.dumps({"full_name": name, "description": "synthetic", "language": "Python",
                                                  "stargazers_count": 1, "default_branch": "main",
                                                  "license": {"key": "mit", "spdx_id": "MIT"}}))
    return len(pulls)


def mine(gh: FakeGitHub, names: list[str], out: Path, clones: Path, executor: str = "local"):
    from agentmt.sources.github.mine import mine_github

    t0 = time.perf_counter()
    m = mine_github(names, out, f"api_url={gh.url}", f"clone_dir={clones}", "filters.profile=gen",
                    tokens=["good-token"], executor=executor)
    return m, time.perf_counter() - t0


def contents_api_cost(out: Path) -> int:
    from agentmt import io
    from agentmt.types import PullRequest

    return sum(2 * len(p.changed_paths) for p in io.read_records(out, PullRequest))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prs", type=int, default=600)
    ap.add_argument("--repos", type=int, default=4)
    args = ap.parse_args()
    from agentmt.sources.github.clock import SystemClock
    from agentmt.sources.mine import mine_git

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        demo = make_demo(work / "demo")
        make_history(work / "synth", args.prs)
        names = [f"bench/synth{i}" for i in range(args.repos)]
        for n in names:
            write_metadata(work / "synth", work / "md" / n.split("/")[1], n)
        gh = FakeGitHub(SystemClock())
        demo_name = gh.add_repo(DemoRepo(demo / "metadata", demo / "repo")).full_name
        for n in names:
            gh.add_repo(DemoRepo(work / "md" / n.split("/")[1], work / "synth", full_name=n))
        with gh:
            m, _ = mine(gh, [demo_name], work / "demo-out", work / "clones")
            print(f"demo: {m.extra['api_requests']} API requests for {m.counts['prs_seen']} merged PRs "
                  f"({m.extra['api_requests'] / m.counts['prs_seen']:.2f} per PR, goal <= 3); the contents API "
                  f"would add {contents_api_cost(work / 'demo-out')} requests for the same files")
            mine(gh, names, work / "warm", work / "clones")  # clone once; timed runs fetch only
            m1, t_api = mine(gh, names[:1], work / "one", work / "clones")
            seen = m1.counts["prs_seen"]
            points = m1.counts["graphql_points"]
            print(f"synthetic: {m1.extra['api_requests']} API requests for {seen} merged PRs "
                  f"({m1.extra['api_requests'] / seen:.3f} per PR); {points} GraphQL points by GitHub's cost "
                  f"formula for the PR pages ({points / seen:.3f} per PR)")
            t0 = time.perf_counter()
            ref = mine_git(work / "synth", work / "git-out", "filters.profile=gen", "progress=false",
                           metadata_dir=work / "md" / "synth0")
            t_git = time.perf_counter() - t0
            print(f"records/s: mine github {m1.counts['prs_kept'] / t_api:.0f}, mine git --metadata "
                  f"{ref.counts['prs_kept'] / t_git:.0f} (github at {t_api / t_git:.2f}x the reference's wall time)")
            import os

            import ray

            ml, t_local = mine(gh, names, work / "local", work / "clones")
            mr, t_ray = mine(gh, names, work / "ray", work / "clones", executor="ray")  # starts and stops Ray
            ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
            mw, t_warm = mine(gh, names, work / "ray-warm", work / "clones", executor="ray")  # Ray already up
            ray.shutdown()
            assert mr.counts == ml.counts == mw.counts
            n = ml.counts["prs_kept"]
            print(f"{args.repos} repositories, {n} records on {os.cpu_count()} cores: local {n / t_local:.0f}/s, "
                  f"ray {n / t_ray:.0f}/s with start-up ({t_ray / t_local:.2f}x local wall), "
                  f"{n / t_warm:.0f}/s on a running Ray ({t_warm / t_local:.2f}x local wall)")


if __name__ == "__main__":
    main()
