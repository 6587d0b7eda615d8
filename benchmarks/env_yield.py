"""Real-world environment yield: mine real repositories, build and validate tasks spread over their
history with `pin_date: none` and `pin_date: commit`, print the yield table (issue 10).

    python benchmarks/env_yield.py /work/.mirror/pytest-dev+pluggy/repo /work/.mirror/jpadilla+pyjwt/repo \
        /work/.mirror/marshmallow-code+marshmallow/repo --work /work/yield2 [--per-repo 14] [-j 2]

A mirror path ending in `owner+name/repo` (the `fetch` layout) names its repository; otherwise pass
`PATH=owner/name`. Everything goes through the product's CLI (`agentmt mine git`, `tasks from-prs`,
`env build`, `env validate`, `env stats`), niced, so the figures are what a user gets. Each run is
kept under `WORK/runs/TAG/` (TAG: agentmt's git commit, `-dirty` when src/ has changes), so a table
comes from one code version; the stage runner's markers make a rerun of the same TAG resume.
`--only ID,...` rebuilds a subset into `WORK/runs/TAG-only-<n>/`. `--table` only prints.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AGENTMT = [str(Path(sys.executable).with_name("agentmt"))]  # the console script beside this interpreter
MODES = ("none", "commit")
# one test run per phase (flakiness is not what this measures) and a cap for hung suites; a cap on
# images far above this run's count so its own builds are not pruned before validation
COMMON = ["runs=1", "test_timeout_s=300", "try_pull=false", "max_task_images=400", "max_env_images=400"]


def sh(cmd: list[str], log: Path) -> float:
    """Run `cmd` niced, appending its output to `log`; seconds taken. A failing command stops the run."""
    t0 = time.monotonic()
    with log.open("a") as f:
        f.write(f"$ {' '.join(cmd)}\n")
        f.flush()
        rc = subprocess.run(["nice", "-n", "10", *cmd], stdout=f, stderr=subprocess.STDOUT, cwd=ROOT,
                            check=False).returncode
    if rc:
        sys.exit(f"failed ({rc}): {' '.join(cmd)}; see {log}")
    return time.monotonic() - t0


def git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, check=True).stdout.strip()


def parse_mirror(arg: str) -> tuple[str, str]:
    path, _, name = arg.partition("=")
    if not name:
        parent = Path(path).resolve().name if not path.rstrip("/").endswith("/repo") else Path(path).parent.name
        if "+" not in parent:
            sys.exit(f"cannot name the repository at {path}: pass PATH=owner/name")
        name = parent.replace("+", "/", 1)
    return path, name


def mine(repos: list[tuple[str, str]], work: Path) -> dict[str, dict]:
    """Mine each repository once (skipped when its tasks folder is complete); HEADs recorded."""
    info = {}
    for path, name in repos:
        slug = name.replace("/", "+")
        out = work / "mined" / slug
        out.mkdir(parents=True, exist_ok=True)
        log = out / "mine.log"
        secs = 0.0
        if not (out / "tasks" / "manifest.json").exists():
            secs += sh([*AGENTMT, "mine", "git", path, "--out", str(out / "prs"), "-c", f"repo_name={name}",
                        "-c", "progress=false"], log)
            secs += sh([*AGENTMT, "tasks", "from-prs", str(out / "prs"), "--out", str(out / "tasks")], log)
        info[name] = {"path": path, "head": git(path, "rev-parse", "HEAD"),
                      "head_date": git(path, "show", "-s", "--format=%cI", "HEAD"),
                      "tasks": str(out / "tasks" / "tasks.jsonl"), "mine_seconds": round(secs, 1)}
    return info


def select(info: dict[str, dict], per_repo: int, keep: set[str] = frozenset()) -> list[dict]:
    """`per_repo` tasks per repository, evenly spaced over its candidates sorted by base-commit date
    (ties by id): deterministic, and spread over the repository's whole history. Ids in `keep` (an
    earlier run's selection) come first, so a larger corpus contains the smaller one and reuses its
    images; the rest are spread evenly over the remaining candidates."""
    out = []
    for r in info.values():
        rows = [json.loads(x) for x in Path(r["tasks"]).read_text().splitlines() if x.strip()]
        for row in rows:
            row["_date"] = git(r["path"], "show", "-s", "--format=%cI", row["base_commit"])
        rows.sort(key=lambda x: (x["_date"], x["instance_id"]))
        kept = [x for x in rows if x["instance_id"] in keep][:per_repo]
        rest = [x for x in rows if x["instance_id"] not in keep]
        n = min(per_repo - len(kept), len(rest))
        step = len(rest) / n if n and len(rest) > n else 1
        chosen = {x["instance_id"] for x in kept} | {rest[int(i * step)]["instance_id"] for i in range(n)}
        out += [x for x in rows if x["instance_id"] in chosen]
    return out


def code_tag() -> str:
    sha = git(str(ROOT), "rev-parse", "--short=10", "HEAD")
    dirty = git(str(ROOT), "status", "--porcelain", "--", "src")
    return sha + ("-dirty" if dirty else "")


def run_mode(mode: str, tasks: Path, run_dir: Path, cfg: Path, jobs: int) -> dict[str, float]:
    d = run_dir / mode
    d.mkdir(parents=True, exist_ok=True)
    log = d / "run.log"
    opts = ["-c", str(cfg), "-c", f"pin_date={mode}", *[x for c in COMMON for x in ("-c", c)], "-j", str(jobs)]
    secs = {"build": sh([*AGENTMT, "env", "build", str(tasks), "--out", str(d / "build"), *opts], log)}
    secs["validate"] = sh([*AGENTMT, "env", "validate", str(d / "build"), "--out", str(d / "validate"), *opts], log)
    for stage in ("build", "validate"):
        sh([*AGENTMT, "env", "stats", str(d / stage)], log)
    return secs


def _read(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.exists() else []


def task_rows(run_dir: Path, mode: str) -> dict[str, dict]:
    """Per task: where it ended (built/validated or the drop reason) and what its environment was."""
    d, rows = run_dir / mode, {}
    for stage, path in (("build", d / "build/failed/tasks.jsonl"), ("build", d / "build/tasks.jsonl"),
                        ("validate", d / "validate/failed/tasks.jsonl"), ("validate", d / "validate/tasks.jsonl")):
        for t in _read(path):
            v, r = t.get("validation") or {}, t.get("install") or {}
            drop = (v.get("drop") or {}).get("reason") if v.get("status") == "dropped" else None
            row = rows.setdefault(t["instance_id"], {"repo": t["repo"], "base_commit": t["base_commit"]})
            row.update(python=r.get("python"), pin_date=(r.get("pin_date") or "none")[:10],
                       lock=len(r.get("lock") or []), build_s=v.get("build_seconds"))
            if stage == "build":
                row.update(end=drop or "built", built=drop is None)
            elif row.get("end") == "built":
                row.update(end=drop or "validated", validate_s=v.get("seconds"),
                           f2p=len(t.get("FAIL_TO_PASS") or []), p2p=len(t.get("PASS_TO_PASS") or []))
    return rows


def table(run_dir: Path) -> str:
    meta = json.loads((run_dir / "run.json").read_text())
    out = [f"agentmt {meta['agentmt']}; {meta['num_tasks']} tasks; repositories:"]
    out += [f"  {n} @ {r['head']} ({r['head_date'][:10]})" for n, r in meta["repos"].items()]
    out += ["", "| repo | pin_date | candidates | built | validated | drop reasons |", "|---|---|---|---|---|---|"]
    per_mode = {m: task_rows(run_dir, m) for m in MODES if (run_dir / m).exists()}
    for repo in [*meta["repos"], "all"]:
        for mode, rows in per_mode.items():
            rs = [r for r in rows.values() if repo in ("all", r["repo"])]
            built = sum(r.get("built", False) for r in rs)
            val = sum(r.get("end") == "validated" for r in rs)
            drops = Counter(r["end"] for r in rs if r.get("end") not in ("built", "validated"))
            out.append(f"| {repo} | {mode} | {len(rs)} | {built} | {val} | "
                       + (", ".join(f"{k}={v}" for k, v in sorted(drops.items())) or "-") + " |")
    out += ["", "| task | base date | mode | python | pin date | lock | build s | validate s | result |",
            "|---|---|---|---|---|---|---|---|---|"]
    dates = meta["base_dates"]
    for mode, rows in per_mode.items():
        for tid, r in sorted(rows.items(), key=lambda kv: (kv[1]["repo"], dates.get(kv[0], ""))):
            res = r.get("end", "?") + (f" (F2P {r['f2p']}, P2P {r['p2p']})" if r.get("end") == "validated" else "")
            out.append(f"| {tid} | {dates.get(tid, '')[:10]} | {mode} | {r.get('python')} | {r.get('pin_date')} | "
                       f"{r.get('lock')} | {r.get('build_s') or '-'} | {r.get('validate_s') or '-'} | {res} |")
    out += ["", "stage wall seconds: " + json.dumps(meta.get("seconds", {}))]
    return "\n".join(out) + "\n"


def verified_section(run_dir: Path | None) -> str:
    """The SWE-bench Verified table (benchmarks/swebench_verified.py) of `run_dir`, "" without one."""
    if run_dir is None or not (ROOT / "benchmarks" / "swebench_verified.py").exists():
        return ""
    if not (run_dir / "run.json").exists():
        sys.exit(f"--verified {run_dir}: no run.json there; pass a swebench_verified.py run folder (WORK/runs/TAG)")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from swebench_verified import verified_table

    return "\n## SWE-bench Verified\n\n" + verified_table(run_dir)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mirrors", nargs="+", help="clone or mirror paths (PATH or PATH=owner/name)")
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--per-repo", type=int, default=14)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--only", default="", help="comma-separated instance ids: rerun just these")
    ap.add_argument("--tag", default="", help="run folder name (default: agentmt's git commit)")
    ap.add_argument("--keep", default="", help="an earlier run's TAG: its selected tasks are kept in this selection")
    ap.add_argument("--table", action="store_true", help="print the table of an existing run and stop")
    ap.add_argument("--verified", type=Path, help="a swebench_verified.py run folder: its table follows")
    args = ap.parse_args()
    os.environ.setdefault("AGENTMT_DEBUG", "1")  # a crash in a stage shows its traceback in the log
    work = args.work.resolve()
    repos = [parse_mirror(m) for m in args.mirrors]
    tag = args.tag or code_tag()
    only = [x for x in args.only.split(",") if x]
    run_dir = work / "runs" / (tag + (f"-only-{len(only)}" if only else ""))
    if args.table:
        sys.stdout.write(table(run_dir) + verified_section(args.verified))
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    info = mine(repos, work)
    keep = {t["instance_id"] for t in _read(work / "runs" / args.keep / "selected.jsonl")} if args.keep else set()
    if args.keep and not keep:
        sys.exit(f"--keep {args.keep}: no {work / 'runs' / args.keep / 'selected.jsonl'}")
    chosen = select(info, args.per_repo, keep)
    if only:
        chosen = [t for t in chosen if t["instance_id"] in only]
    dates = {t["instance_id"]: t.pop("_date") for t in chosen}
    tasks = run_dir / "selected.jsonl"
    tasks.write_text("".join(json.dumps(t) + "\n" for t in chosen))
    cfg = run_dir / "repos.yaml"
    cfg.write_text(json.dumps({"repos": {n: r["path"] for n, r in info.items()}}))  # JSON is YAML
    # a shared tree: say what else was uncommitted under src/ when this ran
    dirty = [x.strip() for x in git(str(ROOT), "status", "--porcelain", "--", "src").splitlines()]
    meta = {"agentmt": tag, "code": code_tag(), "uncommitted": dirty, "repos": info, "num_tasks": len(chosen), "base_dates": dates, "seconds": {},
            "config": COMMON, "jobs": args.jobs}
    (run_dir / "run.json").write_text(json.dumps(meta, indent=1))
    for mode in args.modes.split(","):
        meta["seconds"][mode] = {k: round(v, 1) for k, v in run_mode(mode, tasks, run_dir, cfg, args.jobs).items()}
        (run_dir / "run.json").write_text(json.dumps(meta, indent=1))
    meta["seconds"]["total"] = round(time.monotonic() - t0, 1)
    (run_dir / "run.json").write_text(json.dumps(meta, indent=1))
    text = table(run_dir) + verified_section(args.verified)
    (run_dir / "table.md").write_text(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
