"""PRs merged off the first-parent chain: a maintenance branch merged forward, squashes and
cherry-picks on it, the synthetic flag, resuming inside one forward merge, and repository naming."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from gitrepo import GitRepo

from agentmt import io
from agentmt.sources.git import GitHistorySource, repo_name_for
from agentmt.sources.mine import mine_git
from agentmt.types import PullRequest


def fork_merge(r: GitRepo, number: int, branch: str, onto: str, start: str, files: list[dict]) -> list[str]:
    """A PR branch from `start` with one commit per files dict, merged into `onto`; its commit shas."""
    r.checkout(branch, new=True, start=start)
    shas = [r.commit(f"{branch} {i}", f, author="Contrib <c@x>") for i, f in enumerate(files)]
    r.checkout(onto)
    r.merge_pr(number, branch, f"PR {number}")
    return shas


@pytest.fixture
def maint(tmp_path: Path) -> tuple[GitRepo, dict[str, str]]:
    """main and a maintenance branch 1.x, PRs landing on both, 1.x merged forward twice."""
    r = GitRepo(tmp_path / "repo")
    sha = {"init": r.commit("init", {"a.py": "a = 0\n", "b.py": "b = 0\n", "c.py": "c = 0\n"})}
    r.git("branch", "1.x")
    sha["pr1"] = fork_merge(r, 1, "fix1", "1.x", "1.x", [{"a.py": "a = 1\n"}, {"d.py": "d = 1\n"}])
    sha["pr2"] = r.commit("Fix b on 1.x (#2)", {"b.py": "b = 2\n"})
    r.checkout("pr3", new=True)
    sha["pr3"] = [r.commit("work for 3", {"c.py": "c = 3\n"})]
    r.checkout("1.x")
    sha["m3"] = r.merge("pr3", "Backport the c fix (#3)")  # GitHub's "pull request title" merge message
    r.checkout("main")
    sha["pr4"] = fork_merge(r, 4, "feat4", "main", "main", [{"e.py": "e = 4\n"}])
    sha["fwd1"] = r.merge("1.x", "Merge branch '1.x'")
    sha["pr5"] = r.commit("Tidy a (#5)", {"a.py": "a = 5\n"})
    r.checkout("1.x")
    r.git("cherry-pick", "-x", sha["pr5"])  # the same "(#5)" subject lands on 1.x too
    # PR 6 forks from a 1.x commit that the first forward merge already brought to main
    sha["pr6"] = fork_merge(r, 6, "fix6", "1.x", sha["pr2"], [{"f.py": "f = 6\n"}])
    r.checkout("main")
    sha["fwd2"] = r.merge("1.x", "Merge branch '1.x'")
    return r, sha


def mine(path: Path, **kw) -> tuple[list[PullRequest], GitHistorySource]:
    src = GitHistorySource(path, repo_name="acme/lib", **kw)
    return [p for _, p in src.iter()], src


def test_prs_merged_into_a_maintenance_branch_are_found_once_each(maint):
    r, sha = maint
    prs, src = mine(r.path)
    assert [(p.number, p.merge_kind) for p in prs] == [(4, "merge"), (1, "merge"), (2, "squash"), (3, "merge"),
                                                       (5, "squash"), (6, "merge")]
    by = {p.number: p for p in prs}
    one = by[1]  # merged into 1.x: base is 1.x before it, not main
    assert one.base_sha == sha["init"] and one.snapshot_sha == sha["init"] and one.head_sha == sha["pr1"][-1]
    assert [c.sha for c in one.commits] == sha["pr1"] and one.merge_sha == r.sha(f"{sha['pr2']}~1")
    assert one.changed_paths == ["a.py", "d.py"] and one.title == "PR 1"
    assert one.merged_at == r.git("log", "-1", "--format=%cI", one.merge_sha)  # when it landed on 1.x
    two = by[2]
    assert (two.base_sha, two.snapshot_sha, two.head_sha) == (one.merge_sha, one.merge_sha, sha["pr2"])
    three = by[3]
    assert three.title == "Backport the c fix" and three.merge_sha == sha["m3"] and three.base_sha == sha["pr2"]
    assert [c.sha for c in three.commits] == sha["pr3"] and three.snapshot_sha == sha["pr2"]
    six = by[6]  # forked from a commit main already had: the snapshot is confirmed by git, not by memory
    assert six.snapshot_sha == sha["pr2"] and [c.sha for c in six.commits] == sha["pr6"]
    assert six.base_sha == r.sha(f"{sha['fwd2']}^2~1")  # the cherry-pick on 1.x
    assert src.counts["prs_off_mainline"] == 5 and src.counts["non_pr_merges"] == 2
    assert src.drops == {"duplicate_pr": 1}  # the cherry-picked "(#5)" on 1.x
    assert len({p.id for p in prs}) == len(prs)


def test_synthetic_merges_only_when_asked_and_never_in_py(maint, tmp_path: Path):
    r, sha = maint
    prs, _ = mine(r.path, synthetic=True)
    synthetic = [p for p in prs if p.merge_kind == "synthetic"]
    assert [p.merge_sha for p in synthetic] == [sha["fwd1"], sha["fwd2"]] and all(p.number < 0 for p in synthetic)
    assert [p.number for p in prs if p.number > 0] == [4, 1, 2, 3, 5, 6]  # the PRs inside are still their own
    base = ("progress=false", "repo_name=acme/lib")
    py = mine_git(r.path, tmp_path / "py", *base, "synthetic=true")
    assert py.drops["synthetic_merge"] == 2
    kept = {p.merge_kind for p in io.read_records(tmp_path / "py", PullRequest)}
    assert "synthetic" not in kept
    allowed = mine_git(r.path, tmp_path / "py2", *base, "synthetic=true", "filters.synthetic_in_py=true")
    assert "synthetic_merge" not in allowed.drops
    gen = mine_git(r.path, tmp_path / "gen", *base, "mine_gen")
    assert gen.counts["non_pr_merges"] == 2 and gen.counts["prs_kept"] == 6


def test_resume_inside_one_forward_merge(maint):
    """Any saved position (several PRs come from one mainline commit) resumes with nothing lost or repeated."""
    r, _ = maint
    src = GitHistorySource(r.path, repo_name="acme/lib")
    saved, prs = [], []
    for _, pr in src.iter():
        prs.append(pr.to_dict())
        saved.append((src.position, Counter(src.counts), Counter(src.drops)))
    final = (Counter(src.counts), Counter(src.drops))
    for k, (position, counts, drops) in enumerate(saved):
        again = GitHistorySource(r.path, repo_name="acme/lib", batch_prs=1)
        again.counts.update(counts)
        again.drops.update(drops)
        json.dumps(list(position))  # stored in a shard's done marker
        assert [p.to_dict() for _, p in again.iter(start=list(position))] == prs[k + 1:]
        assert (again.counts, again.drops) == final


def test_shallow_clone_finds_the_same_prs(tmp_path: Path):
    """Shallow: rev-list (which reports boundary commits parentless) reads the branch topology."""
    r = GitRepo(tmp_path / "repo")
    for i in range(4):
        r.commit(f"old {i}", {"a.py": f"{i}\n"})
    r.git("branch", "1.x")
    fork_merge(r, 1, "fix1", "1.x", "1.x", [{"b.py": "1\n"}])
    r.commit("Fix on 1.x (#2)", {"b.py": "2\n"})
    r.checkout("main")
    r.commit("Feature (#3)", {"c.py": "3\n"})
    r.merge("1.x", "Merge branch '1.x'")
    shallow = tmp_path / "shallow"
    r.git("clone", "-q", "--bare", "--depth", "5", f"file://{r.path}", str(shallow))
    assert (shallow / "shallow").exists()
    full, _ = mine(r.path)
    prs, src = mine(shallow)
    assert [p.number for p in prs] == [3, 1, 2] and src.counts["prs_off_mainline"] == 2
    # equal but for the repository's root commits (a shallow clone's boundary stands in for them)
    assert [p.to_dict() | {"repo_roots": []} for p in prs] == [p.to_dict() | {"repo_roots": []} for p in full]


def test_githubs_own_merge_wins_over_an_earlier_ticket_reference(tmp_path: Path):
    """werkzeug's 2008 commits end in Trac ticket numbers "(#316)"; PR #316 was merged in 2013."""
    r = GitRepo(tmp_path / "repo")
    r.commit("init", {"a.py": "0\n"})
    r.commit("Fixed Accept.values (#7)", {"a.py": "1\n"})
    r.commit("Tidy (#8)", {"a.py": "2\n"})
    shas = fork_merge(r, 7, "accept", "main", "main", [{"b.py": "7\n"}])
    prs, src = mine(r.path)
    assert [(p.number, p.merge_kind) for p in prs] == [(8, "squash"), (7, "merge")]
    assert [c.sha for c in prs[1].commits] == shas and src.drops == {"duplicate_pr": 1}


def test_local_merge_of_a_pull_ref_is_that_pr(tmp_path: Path):
    """'Merge branch' of a branch GitHub has as refs/pull/N/head (a mirror fetches them) is PR N."""
    r = GitRepo(tmp_path / "repo")
    r.commit("init", {"a.py": "0\n"})
    r.checkout("fix", new=True)
    head = r.commit("Handle empty input\n\nlonger", {"a.py": "1\n"})
    r.git("update-ref", "refs/pull/12/head", head)
    r.checkout("main")
    merge = r.merge("fix", "Merge branch 'fix'")
    r.checkout("other", new=True, start="main~1")
    r.git("update-ref", "refs/pull/13/head", r.commit("merged here before GitHub merged it", {"b.py": "1\n"}))
    r.checkout("main")
    r.merge("other", "Merge branch 'other'")
    squash = r.commit("The real PR 13 (#13)", {"b.py": "2\n"})  # a subject naming 13 wins over the inference
    prs, src = mine(r.path)
    assert [(p.number, p.merge_kind, p.title, p.head_sha, p.merge_sha) for p in prs] == [
        (12, "merge", "Handle empty input", head, merge), (13, "squash", "The real PR 13", squash, squash)]
    assert src.counts["non_pr_merges"] == 1 and not src.drops


def test_branch_based_on_main_but_merged_into_maintenance(tmp_path: Path):
    """A PR into 1.x whose branch started from main: its commits are all that it brings to 1.x."""
    r = GitRepo(tmp_path / "repo")
    root = r.commit("init", {"a.py": "0\n"})
    r.git("branch", "1.x")
    on_main = r.commit("main only (#1)", {"m.py": "1\n"})
    pr = fork_merge(r, 2, "wrongbase", "1.x", "main", [{"w.py": "2\n"}])
    r.checkout("main")
    r.merge("1.x", "Merge branch '1.x'")
    prs, _ = mine(r.path)
    assert [p.number for p in prs] == [1, 2]
    two = prs[1]
    assert [c.sha for c in two.commits] == [on_main, *pr] and two.snapshot_sha == root and two.base_sha == root


def test_repository_name_rules(tmp_path: Path, maint):
    r, _ = maint
    base = ("progress=false", "mine_gen")
    assert repo_name_for(r.path) == ""  # a folder name is no repository name
    with pytest.warns(UserWarning, match="cannot tell which repository"):
        m = mine_git(r.path, tmp_path / "unknown", *base)
    assert {p.repo for p in io.read_records(tmp_path / "unknown", PullRequest)} == {""}
    assert m.extra["repo_name"] == ""
    r.git("remote", "add", "origin", "git@github.com:acme/widgets.git")
    assert repo_name_for(r.path) == "acme/widgets"
    mine_git(r.path, tmp_path / "origin", *base)
    assert {p.id.split("#")[0] for p in io.read_records(tmp_path / "origin", PullRequest)} == {"acme/widgets"}
    md = tmp_path / "md"
    md.mkdir()
    (md / "pulls.json").write_text("[]")
    (md / "repo.json").write_text(json.dumps({"full_name": "acme/from-metadata"}))
    assert mine_git(r.path, tmp_path / "meta", *base, metadata_dir=md).extra["repo_name"] == "acme/from-metadata"
    explicit = mine_git(r.path, tmp_path / "explicit", *base, "repo_name=me/mine", metadata_dir=md)
    assert explicit.extra["repo_name"] == "me/mine"
