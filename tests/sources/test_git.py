"""Mining PRs from real git repositories built in tmp_path."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from gitrepo import GitRepo

from agentmt.errors import InputError
from agentmt.sources.git import GitHistorySource, iter_pull_requests
from agentmt.sources.prdetect import make_linked_issues, make_pr_header, synthetic_number


def files(snaps):
    return {f.path: f.content for f in snaps}


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """main: init; PR #1 (merge, 3 commits incl. a merge of main); a direct commit; PR #2 (squash)."""
    r = GitRepo(tmp_path / "repo")
    r.commit("init", {"pkg/a.py": "a = 1\n", "pkg/old.py": "old\n", "gone.py": "x\n", "README.md": "hi\n"})
    r.checkout("feat", new=True)
    r.commit("Add b and fix a\n\nFixes #7", {"pkg/a.py": "a = 2\n", "pkg/b.py": "b = 1\n",
                                            "img.bin": b"\x00\x01\x02", "latin.py": "caf\xe9\n".encode("latin-1")},
             author="Alice <alice@example.com>")
    r.checkout("main")
    r.commit("Direct change on main", {"docs.md": "docs\n"})
    r.checkout("feat")
    r.merge("main", "Merge branch 'main' into feat")
    r.mv("pkg/old.py", "pkg/new.py")
    r.commit("Rename and delete", {"gone.py": None}, author="Alice <alice@example.com>")
    r.checkout("main")
    r.merge_pr(1, "feat", "Add b", "Longer description.\n\ncloses: #8, see #9")
    r.commit("Untitled direct commit", {"pkg/a.py": "a = 3\n"})
    r.commit("Tidy a (#2)\n\n* tidy\n* resolves acme/repo#10", {"pkg/a.py": "a = 4\n"}, author="Bob <bob@example.com>")
    return r


def test_merge_pr_fields(repo: GitRepo):
    prs = list(iter_pull_requests(repo.path, repo_name="acme/repo"))
    assert [p.number for p in prs] == [1, 2]
    pr = prs[0]
    assert (pr.merge_kind, pr.title, pr.body) == ("merge", "Add b", "Longer description.\n\ncloses: #8, see #9")
    assert pr.id == "acme/repo#1" and pr.author == "Alice"
    assert pr.merge_sha == repo.sha("main~2") and pr.base_sha == repo.sha("main~3")
    assert pr.head_sha == repo.sha("feat") and pr.snapshot_sha == repo.sha("main~4")  # init
    assert [c.message.splitlines()[0] for c in pr.commits] == [
        "Add b and fix a", "Merge branch 'main' into feat", "Rename and delete"]
    assert pr.linked_issues == [8, 7] and pr.num_linked_issues == 2
    first, merge_main, last = pr.commits
    ch = {c.path: c for c in first.changes}
    assert ch["pkg/a.py"].status == "modified" and ch["pkg/a.py"].diff == "@@ -1 +1 @@\n-a = 1\n+a = 2\n"
    assert ch["pkg/b.py"].status == "added" and ch["pkg/b.py"].old_path is None
    assert ch["img.bin"].binary and ch["img.bin"].diff == ""
    assert ch["latin.py"].binary  # not valid UTF-8 counts as binary
    # the merge of main is kept, its changes relative to its first parent (the branch)
    assert merge_main.parents == [first.sha, repo.sha("main~3")]
    assert [(c.status, c.path) for c in merge_main.changes] == [("added", "docs.md")]
    by_status = {c.status: c for c in last.changes}
    assert (by_status["renamed"].old_path, by_status["renamed"].new_path) == ("pkg/old.py", "pkg/new.py")
    assert by_status["deleted"].new_path is None and by_status["deleted"].old_path == "gone.py"
    rel, head = files(pr.relevant_files), files(pr.head_files)
    assert list(rel) == pr.changed_paths == list(head)
    assert rel["pkg/a.py"] == "a = 1\n" and head["pkg/a.py"] == "a = 2\n"
    assert rel["pkg/b.py"] is None and head["pkg/b.py"] == "b = 1\n"
    assert rel["pkg/old.py"] == "old\n" and head["pkg/old.py"] is None and head["pkg/new.py"] == "old\n"
    assert rel["gone.py"] == "x\n" and head["gone.py"] is None
    assert rel["docs.md"] is None and head["docs.md"] == "docs\n"
    assert next(f for f in pr.head_files if f.path == "latin.py").binary


def test_squash_pr(repo: GitRepo):
    pr = list(iter_pull_requests(repo.path, repo_name="acme/repo"))[1]
    assert (pr.merge_kind, pr.number, pr.title, pr.author) == ("squash", 2, "Tidy a", "Bob")
    assert pr.body == "* tidy\n* resolves acme/repo#10" and pr.linked_issues == [10]
    assert pr.merge_sha == pr.head_sha == repo.sha("main") and pr.snapshot_sha == pr.base_sha == repo.sha("main~1")
    assert files(pr.relevant_files) == {"pkg/a.py": "a = 3\n"} and files(pr.head_files) == {"pkg/a.py": "a = 4\n"}
    assert pr.merged_at.startswith("2024-01-01T")


def test_synthetic_merge_and_branch_merged_twice(tmp_path: Path):
    r = GitRepo(tmp_path / "r")
    r.commit("init", {"a.py": "1\n"})
    r.checkout("topic", new=True)
    c1 = r.commit("topic 1", {"b.py": "1\n"})
    r.checkout("main")
    m1 = r.merge("topic", "Merge branch 'topic'")
    r.checkout("topic")
    c2 = r.commit("topic 2", {"b.py": "2\n"})
    r.checkout("main")
    r.commit("main moves", {"a.py": "2\n"})
    r.merge_pr(5, "topic", "Second round")
    src = GitHistorySource(r.path, repo_name="x/y")
    assert [p.merge_kind for _, p in src.iter()] == ["merge"]  # not a PR: no record by default
    assert src.counts["non_pr_merges"] == 1 and src.counts["prs_seen"] == 1
    prs = list(iter_pull_requests(r.path, repo_name="x/y", synthetic=True))
    assert [p.merge_kind for p in prs] == ["synthetic", "merge"]
    assert prs[0].number == synthetic_number(m1) < 0
    assert [c.sha for c in prs[0].commits] == [c1]
    assert [c.sha for c in prs[1].commits] == [c2]  # commits merged before are not repeated
    assert prs[1].snapshot_sha == c1


def test_nested_feature_branches_are_not_duplicated(tmp_path: Path):
    r = GitRepo(tmp_path / "r")
    r.commit("init", {"a.py": "1\n"})
    r.checkout("x", new=True)
    x1 = r.commit("x 1", {"x.py": "1\n"})
    r.checkout("y", new=True, start="main")
    y1 = r.commit("y 1", {"y.py": "1\n"})
    r.merge("x", "Merge branch 'x' into y")
    r.checkout("main")
    r.merge_pr(1, "y", "Y")
    r.checkout("x")
    x2 = r.commit("x 2", {"x.py": "2\n"})
    r.checkout("main")
    r.merge_pr(2, "x", "X")
    p1, p2 = iter_pull_requests(r.path, repo_name="x/y")
    assert p1.commits[0].sha == y1 and len(p1.commits) == 2
    assert [c.sha for c in p2.commits] == [x2] and x1 not in {c.sha for c in p2.commits}


def test_bare_repo_url_and_ref(repo: GitRepo, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("AGENTMT_HOME", str(tmp_path / "home"))
    bare = tmp_path / "bare.git"
    repo.git("clone", "-q", "--bare", str(repo.path), str(bare))
    assert [p.number for p in iter_pull_requests(bare, repo_name="a/b")] == [1, 2]
    assert [p.number for p in iter_pull_requests(f"file://{bare}", repo_name="a/b", ref="main~1")] == [1]
    assert (tmp_path / "home" / "repos").is_dir()


def test_bad_inputs(repo: GitRepo, tmp_path: Path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(InputError, match="not a git repository"):
        GitHistorySource(tmp_path / "plain", repo_name="a/b")
    with pytest.raises(InputError, match="does not exist"):
        GitHistorySource(tmp_path / "nope", repo_name="a/b")
    with pytest.raises(InputError, match="unknown ref 'nope'"):
        GitHistorySource(repo.path, repo_name="a/b", ref="nope")
    with pytest.raises(InputError, match="cannot clone"):
        GitHistorySource("file:///nonexistent/repo.git", repo_name="a/b")


def test_huge_file_dropped(repo: GitRepo):
    src = GitHistorySource(repo.path, repo_name="a/b", max_file_bytes=5)  # "a = 1\n" is 6 bytes
    assert list(src.iter()) == []
    assert src.drops == {"file_too_large": 2} and src.counts["prs_seen"] == 2


def _corrupt_loose_object(repo_path: Path, oid: str) -> None:
    obj = repo_path / ".git" / "objects" / oid[:2] / oid[2:]
    data = obj.read_bytes()
    assert zlib.decompress(data)  # a loose object as git wrote it
    obj.chmod(0o644)
    obj.write_bytes(data[: len(data) // 2])  # truncated: git reports it as corrupt


def test_corrupt_object_drops_only_its_pr(tmp_path: Path):
    r = GitRepo(tmp_path / "r")
    r.commit("init", {"a.py": "1\n"})
    r.commit("First (#1)", {"a.py": "2\n"})
    r.commit("Second (#2)", {"b.py": "the blob we break\n" * 50})
    r.commit("Third (#3)", {"a.py": "3\n"})
    _corrupt_loose_object(r.path, r.sha("HEAD~1:b.py"))
    src = GitHistorySource(r.path, repo_name="a/b")
    assert [p.number for _, p in src.iter()] == [1, 3]
    assert src.drops == {"git_error": 1}


def test_pr_header_and_links_are_pure():
    assert make_pr_header("ab" * 20, ["p"], "Fix parser (#12)\n\nbody") .number == 12
    assert make_pr_header("ab" * 20, ["p"], "No number here") is None
    assert make_pr_header("ab" * 20, [], "Root (#1)") is None
    h = make_pr_header("ab" * 20, ["p", "q"], "Merge pull request #3 from u/br\n")
    assert (h.kind, h.number, h.title) == ("merge", 3, "u/br")
    h = make_pr_header("ab" * 20, ["p", "q"], "Auto merge of #762 - sn:master, r=ut\n\nLog the port\n\nWhy.")
    assert (h.kind, h.number, h.title, h.body, h.titled) == ("merge", 762, "Log the port", "Why.", False)
    assert make_pr_header("ab" * 20, ["p", "q"], "Merge #41\n\n41: Fix r=a a=b").number == 41  # bors-ng
    assert make_pr_header("ab" * 20, ["p", "q"], "Merge #41 #42").kind == "synthetic"  # a batch: no single PR
    h = make_pr_header("ab" * 20, ["p", "q"], "Add FAQ entry (#3778)")  # GitHub's "pull request title" merge
    assert (h.kind, h.number, h.title, h.titled) == ("merge", 3778, "Add FAQ entry", True)
    assert make_linked_issues(["Fixes #1, fixed #2; Resolves: #3", "closes other/repo#4 closes #5"],
                              "me/repo", own_number=5) == [1, 2, 3]


def test_corrupt_mainline_commit_is_one_input_error(tmp_path: Path):
    r = GitRepo(tmp_path / "r")
    r.commit("init", {"a.py": "1\n"})
    r.commit("One (#1)", {"a.py": "2\n"})
    r.commit("Two (#2)", {"a.py": "3\n"})
    _corrupt_loose_object(r.path, r.sha("HEAD~1"))
    with pytest.raises(InputError, match="corrupt loose object.*git fsck"):
        list(iter_pull_requests(r.path, repo_name="a/b"))


def test_non_utf8_path_and_message(tmp_path: Path):
    r = GitRepo(tmp_path / "r")
    r.commit("init", {"a.py": "1\n"})
    (r.path / "caf\xe9.py".encode("latin-1").decode("utf-8", "surrogateescape")).write_bytes(b"x = 1\n")
    r.git("add", "-A")
    r.git("-c", "i18n.commitEncoding=latin-1", "commit", "-q", "-m", "Add caf\xe9 (#4)")
    (pr,) = iter_pull_requests(r.path, repo_name="a/b")
    assert pr.number == 4 and pr.changed_paths == ["caf\ufffd.py"]
    assert files(pr.head_files) == {"caf\ufffd.py": "x = 1\n"}
    from agentmt.sources.mine import encode_pr

    assert encode_pr(pr)["head_files"][0]["path"] == "caf\ufffd.py"


def test_diff_after_screen_gives_the_same_prs(repo: GitRepo, tmp_path: Path):
    """Listing files first and diffing only screened-in PRs changes nothing but the work done,
    also when a kept PR and a dropped one hold corrupt blobs."""
    def screen(pr, counts):
        counts["screened"] += 1
        return "dropped" if pr.number == 2 else None

    def mine(path, **kw):
        src = GitHistorySource(path, repo_name="acme/repo", screen=screen, **kw)
        return [p.to_dict() for _, p in src.iter()], src.counts, src.drops

    assert mine(repo.path, diff_after_screen=True) == mine(repo.path)
    r = GitRepo(tmp_path / "r")
    r.commit("init", {"a.py": "1\n"})
    r.commit("First (#1)", {"a.py": "2\n", "c.py": "the blob we break in a kept PR\n" * 50})
    r.commit("Second (#2)", {"b.py": "the blob we break in a dropped PR\n" * 50})
    r.commit("Third (#3)", {"a.py": "3\n"})
    _corrupt_loose_object(r.path, r.sha("HEAD~2:c.py"))
    _corrupt_loose_object(r.path, r.sha("HEAD~1:b.py"))
    prs, counts, drops = mine(r.path, diff_after_screen=True)
    assert [p["number"] for p in prs] == [3] and drops == {"git_error": 1, "dropped": 1}
    assert (prs, counts, drops) == mine(r.path)


def test_every_git_command_in_src_goes_through_gitproc():
    """One git runner: no module but gitproc starts a git process itself."""
    import re

    import agentmt

    root = Path(agentmt.__file__).parent
    direct = re.compile(r"""(subprocess\.\w+|Popen|check_output)\(\s*\[\s*["']git["']""")
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p.name != "gitproc.py" and direct.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
