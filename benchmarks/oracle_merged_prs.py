"""Plain-git oracle for `agentmt mine git`: every merged PR a history shows, checked against mined records.

Independent of agentmt's miner on purpose (it imports nothing from agentmt; it reads the mined Parquet
with pyarrow): the oracle lists merged PRs from commit subjects anywhere in the history of REF, with
`git log`, derives each PR's base, head and snapshot with `git merge-base`, its changed paths with
`git diff --name-status`, and checks its head against GitHub's `refs/pull/N/head` where the mirror has
them. It then reports recall of non-bot PRs and agreement of the matched records.

    agentmt mine git REPO --out MINED -c mine_gen -c max_file_bytes=1000000000 -c progress=false
    python benchmarks/oracle_merged_prs.py REPO MINED [--ref HEAD] [--json report.json]

A PR is, by its subject: "Merge pull request #N from ..." (a merge; also the merge bots' "Auto merge
of #N - ..." and "Merge #N"), "Title (#N)" on a merge (GitHub's
"pull request title" merge message) or on a single-parent commit (a squash). base = first parent;
head = second parent (merge) or the commit (squash); snapshot = merge-base(base, head). A number met
twice (a cherry-picked squash) counts once; a match is agreement if the record's merge commit is any
of them. Bots: the author name of the PR's oldest commit (snapshot..head) ends in "[bot]".
A snapshot other than merge-base is classified: when the PR branch merged its base in, agentmt's
snapshot is where the branch's first-parent chain left the base (its commits replay from there),
an ancestor of merge-base; the oracle checks that with `merge-base --is-ancestor`.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

MERGE = re.compile(r"^(?:Merge pull request #(\d+) from \S|Auto merge of #(\d+) - |Merge #(\d+)\s*$)")
TITLED = re.compile(r"\(#(\d+)\)\s*$")


def sh(repo: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    p = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    if p.returncode not in ok:
        raise SystemExit(f"git {' '.join(args)}: {p.stderr.decode(errors='replace').strip()}")
    return p.stdout.decode("utf-8", "replace")


def list_prs(repo: Path, ref: str) -> tuple[dict[int, list[dict]], dict[str, str]]:
    """number -> candidate PR commits (oldest first); sha -> author name of every reachable commit."""
    out = sh(repo, "log", "--reverse", "--topo-order", "--format=%H%x1f%P%x1f%an%x1f%s%x1e", ref, "--")
    authors, prs = {}, defaultdict(list)
    for rec in out.split("\x1e"):
        rec = rec.strip("\n")
        if not rec:
            continue
        sha, parents, author, subject = rec.split("\x1f", 3)
        parents = parents.split()
        authors[sha] = author
        m = MERGE.match(subject) if len(parents) >= 2 else None
        t = TITLED.search(subject)
        if m:
            number = next(g for g in m.groups() if g)
            prs[int(number)].append({"merge": sha, "kind": "merge", "parents": parents})
        elif t and len(parents) >= 2:
            prs[int(t.group(1))].append({"merge": sha, "kind": "merge", "parents": parents})
        elif t and len(parents) == 1:
            prs[int(t.group(1))].append({"merge": sha, "kind": "squash", "parents": parents})
    return prs, authors


def describe(repo: Path, c: dict) -> dict:
    """base, head, snapshot (merge-base) and changed paths of one candidate, by plain git."""
    base = c["parents"][0]
    head = c["parents"][1] if c["kind"] == "merge" else c["merge"]
    snap = sh(repo, "merge-base", base, head, ok=(0, 1)).strip() if c["kind"] == "merge" else base
    plain = sh(repo, "diff", "--no-renames", "--name-only", "-z", snap, head).split("\0") if snap else []
    renames = [ln.split("\t")[1:] for ln in sh(repo, "diff", "--name-status", "-M", snap, head).splitlines()
               if ln.startswith("R")] if snap else []
    # the PR's opener: author of its oldest commit (a bot PR a maintainer finished is still a bot's)
    first = sh(repo, "log", "--reverse", "--format=%an", f"{snap}..{head}").split("\n", 1)[0] if snap else ""
    return {**c, "base": base, "head": head, "snapshot": snap, "paths": sorted(p for p in plain if p),
            "renames": renames, "opener": first}


def read_mined(folder: Path) -> dict[int, dict]:
    """number -> {merge_sha, base_sha, head_sha, snapshot_sha, merge_kind, paths} from the mined shards."""
    import pyarrow.parquet as pq

    out = {}
    for f in sorted(folder.glob("*.parquet")):
        for row in pq.read_table(f).to_pylist():
            rec = json.loads(row["record_json"]) if "record_json" in row else row  # either storage format
            paths = set()
            for commit in rec.get("commits") or []:
                for ch in commit.get("changes") or []:
                    paths.update(p for p in (ch.get("old_path"), ch.get("new_path")) if p)
            out[int(rec["number"])] = {k: rec.get(k) for k in ("merge_sha", "base_sha", "head_sha", "snapshot_sha",
                                                                "merge_kind", "author")} | {"paths": paths}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo", type=Path)
    ap.add_argument("mined", type=Path)
    ap.add_argument("--ref", default="HEAD")
    ap.add_argument("--json", type=Path, help="write every miss and disagreement here")
    args = ap.parse_args()
    repo = args.repo
    head_sha = sh(repo, "rev-parse", args.ref).strip()
    prs, authors = list_prs(repo, args.ref)
    first_parent = set(sh(repo, "rev-list", "--first-parent", args.ref, "--").split())
    pulls = dict(line.split() for line in sh(repo, "for-each-ref", "--format=%(refname) %(objectname)",
                                             "refs/pull/*/head").splitlines())
    mined = read_mined(args.mined)

    def is_bot(c: dict) -> bool:
        return (c["opener"] or authors.get(c["head"], "")).lower().endswith("[bot]")

    t = Counter()
    problems: dict[str, list] = defaultdict(list)
    for number, cands in sorted(prs.items()):
        cands = [describe(repo, c) for c in cands]
        if any(is_bot(c) for c in cands):
            t["bot"] += 1
            continue
        t["oracle_prs"] += 1
        off = all(c["merge"] not in first_parent for c in cands)
        t["oracle_off_first_parent"] += off
        pull = pulls.get(f"refs/pull/{number}/head")
        merges = [c for c in cands if c["kind"] == "merge"]
        if pull and merges:
            t["pull_ref_checked"] += 1
            t["pull_ref_is_oracle_head"] += any(c["head"] == pull for c in merges)
        rec = mined.get(number)
        if rec is None:
            problems["missed"].append({"number": number, "merge": cands[0]["merge"], "off_first_parent": off})
            continue
        t["matched"] += 1
        t["matched_off_first_parent"] += off
        c = next((c for c in cands if c["merge"] == rec["merge_sha"]), None)
        if c is None:
            problems["other_commit"].append({"number": number, "mined": rec["merge_sha"]})
            continue
        base_ok, head_ok = rec["base_sha"] == c["base"], rec["head_sha"] == c["head"]
        snap_ok = rec["snapshot_sha"] == c["snapshot"]
        # Paths: every path the net diff changes is a path the record's commits touch (touched and
        # restored paths are allowed; a snapshot before merge-base adds the base's own changes).
        paths_ok = set(c["paths"]) <= rec["paths"]
        exact_paths = set(c["paths"]) == rec["paths"]
        t["base_agree"] += base_ok
        t["head_agree"] += head_ok
        t["snapshot_is_merge_base"] += snap_ok
        t["paths_agree"] += paths_ok
        t["paths_exact"] += exact_paths
        t["all_agree"] += base_ok and head_ok and paths_ok
        if pull and c["kind"] == "merge":
            t["mined_head_is_pull_ref"] += rec["head_sha"] == pull
        if len(cands) > 1:
            problems["duplicates"].append({"number": number, "candidates": [x["merge"] for x in cands],
                                           "mined": rec["merge_sha"]})
        if not snap_ok and rec["snapshot_sha"]:
            merged_base_in = bool(sh(repo, "rev-list", "--merges", "-n1", f"{c['snapshot']}..{c['head']}").strip())
            earlier = subprocess.run(["git", "-C", str(repo), "merge-base", "--is-ancestor", rec["snapshot_sha"],
                                      c["snapshot"]], capture_output=True, check=False).returncode == 0
            t["snapshot_fork_point_of_branch_that_merged_base"] += merged_base_in and earlier
        if not (base_ok and head_ok and paths_ok and snap_ok):
            problems["disagree"].append({"number": number, "merge": c["merge"], "base": base_ok, "head": head_ok,
                                         "snapshot": snap_ok, "paths": paths_ok,
                                         "missing_paths": sorted(set(c["paths"]) - rec["paths"])[:5]})
    # GitHub's own truth, independent of subjects: a PR whose refs/pull/N/head is reachable from REF
    # was merged with its commits kept (a merge commit of any message, or a fast-forward).
    reachable = set(sh(repo, "rev-list", args.ref, "--").split())
    for ref, oid in pulls.items():
        number = int(ref.split("/")[2])
        if oid in reachable and not authors.get(oid, "").lower().endswith("[bot]"):
            t["pull_heads_reachable"] += 1
            got = mined.get(number)
            t["pull_heads_mined"] += got is not None
            t["pull_heads_mined_same_head"] += got is not None and got["head_sha"] == oid
            if got is None:
                problems["pull_head_not_mined"].append({"number": number, "head": oid})
    extra = sorted(set(mined) - set(prs))
    n, m = t["oracle_prs"], max(t["matched"], 1)
    print(f"{repo} at {head_sha}: {sum(len(v) for v in prs.values())} PR commits, {len(prs)} PR numbers, "
          f"{t['bot']} bot PRs, {n} non-bot PRs ({t['oracle_off_first_parent']} off the first-parent chain)")
    print(f"  recall: {t['matched']}/{n} = {t['matched'] / max(n, 1):.2%} "
          f"(off first-parent: {t['matched_off_first_parent']}/{t['oracle_off_first_parent']}); "
          f"records the oracle has not: {len(extra)}")
    print(f"  agreement over {t['matched']} matches: base {t['base_agree'] / m:.2%}, head {t['head_agree'] / m:.2%}, "
          f"paths {t['paths_agree'] / m:.2%} (exactly equal {t['paths_exact'] / m:.2%}), all three "
          f"{t['all_agree'] / m:.2%}; snapshot == merge-base {t['snapshot_is_merge_base'] / m:.2%}, else "
          f"the fork point of a branch that merged its base in: {t['snapshot_fork_point_of_branch_that_merged_base']}")
    if t["pull_ref_checked"]:
        print(f"  refs/pull/N/head: {t['pull_ref_checked']} merge PRs have one; oracle head matches "
              f"{t['pull_ref_is_oracle_head']}, mined head matches {t['mined_head_is_pull_ref']}")
    if t["pull_heads_reachable"]:
        print(f"  refs/pull/N/head reachable from {args.ref} (non-bot head author): {t['pull_heads_reachable']}; "
              f"mined {t['pull_heads_mined']} ({t['pull_heads_mined'] / t['pull_heads_reachable']:.2%}), "
              f"with that head {t['pull_heads_mined_same_head']}")
    for kind, items in problems.items():
        print(f"  {kind}: {len(items)}  e.g. {items[:3]}")
    if args.json:
        args.json.write_text(json.dumps({"counts": t, "extra": extra, **problems}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
