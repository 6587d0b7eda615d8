"""Task patches are git's own diffs: form feeds and CRs apply, modes and binary files survive."""

from __future__ import annotations

import subprocess
from pathlib import Path

from agentmt.environments.tasks import make_file_diff, make_task, task_drop_reason
from agentmt.types import Commit, FileSnapshot, PullRequest


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "d", "GIT_AUTHOR_EMAIL": "d@x", "GIT_COMMITTER_NAME": "d",
           "GIT_COMMITTER_EMAIL": "d@x", "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def _bytes_at(repo: Path, sha: str, path: str) -> bytes | None:
    res = subprocess.run(["git", "-C", str(repo), "show", f"{sha}:{path}"], capture_output=True, check=False)
    return res.stdout if res.returncode == 0 else None


def _pr(repo: Path, base: str, head: str) -> PullRequest:
    paths = git(repo, "diff", "--name-only", base, head).split()

    def snap(sha, p):
        data = _bytes_at(repo, sha, p)
        if data is not None and b"\0" in data:
            return FileSnapshot(p, None, binary=True)
        return FileSnapshot(p, None if data is None else data.decode("utf-8", "surrogateescape"))

    return PullRequest(
        id="o/ff#1", repo="o/ff", number=1, title="t", body="b", author="a", base_sha=base, snapshot_sha=base,
        head_sha=head, merge_sha=head, merge_kind="squash",
        commits=[Commit(sha=head, message="t", author="a", date="2024-01-01T00:00:00Z", parents=[base])],
        relevant_files=[snap(base, p) for p in paths], head_files=[snap(head, p) for p in paths])


def _repo(tmp_path: Path) -> tuple[Path, str, str]:
    """base: a module with a form feed and CRLF lines; head: both edited, a test, a binary, a chmod."""
    repo = tmp_path / "ff"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "core.autocrlf", "false")
    (repo / "pkg").mkdir()
    (repo / "pkg" / "mod.py").write_bytes(b"def f():\n    return 1\n\x0c\ndef g():\r\n    return 2\r\n")
    (repo / "run.sh").write_bytes(b"echo hi\n")
    (repo / "logo.bin").write_bytes(b"\x00\x01\x02old")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    (repo / "pkg" / "mod.py").write_bytes(b"def f():\n    return 10\n\x0c\ndef g():\r\n    return 20\r\n")
    (repo / "tests").mkdir()
    (repo / "tests" / "test_mod.py").write_bytes(b"from pkg.mod import f\n\x0c\ndef test_f():\r\n    assert f() == 10\r\n")
    (repo / "logo.bin").write_bytes(b"\x00\x01\x02new\xff")
    (repo / "run.sh").chmod(0o755)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "head")
    return repo, base, git(repo, "rev-parse", "HEAD")


def _apply_at(repo: Path, base: str, patches: list[str], work: Path) -> None:
    subprocess.run(["git", "clone", "-q", str(repo), str(work)], check=True)
    subprocess.run(["git", "-C", str(work), "checkout", "-q", base], check=True)
    for i, patch in enumerate(patches):
        (work / f".p{i}.diff").write_bytes(patch.encode("utf-8", "surrogateescape"))
        res = subprocess.run(["git", "-C", str(work), "apply", f".p{i}.diff"], capture_output=True, text=True,
                             check=False)
        assert res.returncode == 0, res.stderr
        (work / f".p{i}.diff").unlink()


def test_form_feed_and_crlf_patches_apply_from_file_contents(tmp_path):
    repo, base, head = _repo(tmp_path)
    pr = _pr(repo, base, head)
    assert task_drop_reason(pr) == "binary_change"  # without the clone a binary change cannot be kept
    pr.relevant_files = [f for f in pr.relevant_files if f.path == "pkg/mod.py"]
    pr.head_files = [f for f in pr.head_files if f.path in ("pkg/mod.py", "tests/test_mod.py")]
    task = make_task(pr)
    assert "\x0c" in task.patch and "\r\n" in task.test_patch
    _apply_at(repo, base, [task.patch, task.test_patch], tmp_path / "w")
    for path in ("pkg/mod.py", "tests/test_mod.py"):
        assert (tmp_path / "w" / path).read_bytes() == _bytes_at(repo, head, path)


def test_patches_from_the_clone_keep_binary_files_and_modes(tmp_path):
    repo, base, head = _repo(tmp_path)
    pr = _pr(repo, base, head)
    assert task_drop_reason(pr, repo) is None
    task = make_task(pr, repo)
    assert "GIT binary patch" in task.patch and "new mode 100755" in task.patch
    _apply_at(repo, base, [task.patch, task.test_patch], tmp_path / "w")
    work = tmp_path / "w"
    for path in ("pkg/mod.py", "tests/test_mod.py", "logo.bin", "run.sh"):
        assert (work / path).read_bytes() == _bytes_at(repo, head, path), path
    assert (work / "run.sh").stat().st_mode & 0o111


def test_single_file_diff_matches_git_for_a_missing_final_newline():
    diff = make_file_diff("a.txt", "x\ny", "x\nz")
    assert diff.startswith("diff --git a/a.txt b/a.txt\n") and "--- a/a.txt\n+++ b/a.txt\n" in diff
    assert diff.count("\\ No newline at end of file") == 2
    assert make_file_diff("a.txt", "same", "same") == ""


def test_a_non_utf8_source_becomes_an_ascii_binary_patch_that_applies(tmp_path):
    repo = tmp_path / "l1"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "legacy.py").write_bytes("# caf\xe9\nx = 1\n".encode("latin-1"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    (repo / "legacy.py").write_bytes("# caf\xe9\nx = 2\n".encode("latin-1"))
    (repo / "tests").mkdir()
    (repo / "tests" / "test_l.py").write_bytes(b"def test_x():\n    assert True\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "head")
    head = git(repo, "rev-parse", "HEAD")
    pr = _pr(repo, base, head)
    for i, task in enumerate((make_task(pr, repo), make_task(pr))):  # from the clone, from the contents
        task.patch.encode("ascii")  # storable as text (Arrow refuses surrogates)
        _apply_at(repo, base, [task.patch, task.test_patch], tmp_path / f"w{i}")
        assert (tmp_path / f"w{i}" / "legacy.py").read_bytes() == _bytes_at(repo, head, "legacy.py")
