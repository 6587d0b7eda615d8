"""A tiny real Python repository with two bug-fix PRs, and one set of built images for the session."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agentmt.types import Commit, FileSnapshot, PullRequest

FIXTURE_DATE = "2024-03-01T12:00:00+00:00"
PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "calc"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = []

[tool.setuptools.packages.find]
where = ["src"]
"""

CALC_V1 = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a + b\n\n\ndef neg(a):\n    return -a\n"
TEST_V1 = "from calc import neg\n\n\ndef test_neg():\n    assert neg(2) == -2\n"


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "dev",
           "GIT_COMMITTER_EMAIL": "dev@example.com", "PATH": "/usr/bin:/bin",
           # a fixed era: pinned resolution and the Python choice (3.12 era → bookworm's 3.11) are stable
           "GIT_COMMITTER_DATE": FIXTURE_DATE, "GIT_AUTHOR_DATE": FIXTURE_DATE}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def commit_files(repo: Path, files: dict[str, str], message: str) -> str:
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def show(repo: Path, sha: str, path: str) -> str | None:
    res = subprocess.run(["git", "-C", str(repo), "show", f"{sha}:{path}"], capture_output=True, text=True)
    return res.stdout if res.returncode == 0 else None


def make_pr(repo: Path, number: int, base: str, head: str, title: str) -> PullRequest:
    """A PullRequest record for the commits base..head (one squash-like commit view)."""
    paths = git(repo, "diff", "--name-only", base, head).split()
    return PullRequest(
        id=f"demo/calc#{number}", repo="demo/calc", number=number, title=title, body="Fixes a bug.",
        author="dev", base_sha=base, snapshot_sha=base, head_sha=head, merge_sha=head, merge_kind="squash",
        commits=[Commit(sha=head, message=title, author="dev", date="2024-01-01T00:00:00Z", parents=[base])],
        relevant_files=[FileSnapshot(p, show(repo, base, p)) for p in paths],
        head_files=[FileSnapshot(p, show(repo, head, p)) for p in paths],
        created_at="2024-01-01T00:00:00Z",
    )


@pytest.fixture(scope="session")
def fixture_git():
    """(git, commit_files) of the fixture repositories, for tests that commit to a copy of their own."""
    return git, commit_files


@pytest.fixture
def new_repo(tmp_path):
    """new_repo(files) → (repository, commit): a fresh git repository under tmp_path with `files`
    committed on main."""
    def make(files: dict[str, str]) -> tuple[Path, str]:
        repo = tmp_path / "repo"
        repo.mkdir(parents=True)
        git(repo, "init", "-q", "-b", "main")
        return repo, commit_files(repo, files, "base")

    return make


@pytest.fixture(scope="session")
def calc_repo(tmp_path_factory) -> tuple[Path, list[PullRequest]]:
    """Repo: initial commit, PR 1 fixes add() (+ test), PR 2 fixes mul() (+ test), then a tag."""
    repo = tmp_path_factory.mktemp("calc") / "calc"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    c0 = commit_files(repo, {"pyproject.toml": PYPROJECT, "src/calc/__init__.py": CALC_V1,
                             "tests/test_calc.py": TEST_V1}, "initial")
    calc2 = CALC_V1.replace("return a - b", "return a + b")
    c1 = commit_files(repo, {"src/calc/__init__.py": calc2, "tests/test_calc.py": TEST_V1
                             + "\n\ndef test_add():\n    from calc import add\n    assert add(2, 3) == 5\n"},
                      "Fix add (#1)")
    calc3 = calc2.replace("return a + b\n\n\ndef neg", "return a * b\n\n\ndef neg")
    test3 = show(repo, c1, "tests/test_calc.py") + "\n\ndef test_mul():\n    from calc import mul\n    assert mul(2, 3) == 6\n"
    c2 = commit_files(repo, {"src/calc/__init__.py": calc3, "tests/test_mul.py": "", "tests/test_calc.py": test3},
                      "Fix mul (#2)")
    git(repo, "tag", "v1.0")
    prs = [make_pr(repo, 1, c0, c1, "Fix add"), make_pr(repo, 2, c1, c2, "Fix mul")]
    return repo, prs


@pytest.fixture(scope="session")
def built_tasks(calc_repo, docker_daemon, tmp_path_factory):
    """Both calc tasks built into images once per session (env layer shared)."""
    from agentmt.environments.stages import build_envs, tasks_from_prs
    from agentmt.environments.tasks import read_tasks
    from agentmt.io import write_records

    repo, prs = calc_repo
    root = tmp_path_factory.mktemp("envbuild")
    write_records(root / "prs" / "part-00000.parquet", prs, type(prs[0]))
    tasks_from_prs(root / "prs", root / "tasks")
    manifest = build_envs(root / "tasks", root / "built", f"repos.demo/calc={repo}")
    return list(read_tasks(root / "built")), manifest, root
