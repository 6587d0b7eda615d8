"""The demo repository: deterministic, really exercising each feature it claims, tests that bite."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentmt.errors import InputError
from agentmt.sources.demo import DemoInfo, build_demo


def git(repo: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    assert not check or proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoInfo:
    return build_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def pulls(demo) -> dict[int, dict]:
    return {p["number"]: p for p in json.loads((demo.metadata_dir / "pulls.json").read_text())}


def merge_sha(pulls, number: int) -> str:
    return pulls[number]["merge_commit_sha"]


def name_status(repo: Path, sha: str) -> list[list[str]]:
    """Changes a PR brought to main: its merge (or squash) commit against the first parent."""
    return [
        line.split("\t") for line in git(repo, "diff", "-M", "--name-status", f"{sha}^1", sha).splitlines()
    ]


def test_cli_builds_identical_demo_despite_user_git_config(demo, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from agentmt.cli.main import app

    # A hostile user configuration and identity must not leak into the objects.
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[user]\n name = Someone Else\n[core]\n autocrlf = true\n"
        "[commit]\n gpgsign = true\n[init]\n defaultBranch = trunk\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Intruder")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2001-01-01T00:00:00")
    result = CliRunner().invoke(app, ["demo", "init", str(tmp_path / "again")])
    monkeypatch.undo()
    assert result.exit_code == 0, result.output
    other = DemoInfo.from_dict(json.loads((tmp_path / "again" / "demo.json").read_text()), tmp_path / "again")
    assert str(other.repo_path) in result.output and f"{len(demo.merged_prs)} merged" in result.output
    assert git(other.repo_path, "branch", "--show-current").strip() == "main"
    for args in (("rev-list", "--all"), ("for-each-ref",)):
        assert git(demo.repo_path, *args) == git(other.repo_path, *args)
    for path in sorted(demo.metadata_dir.iterdir()):
        assert path.read_bytes() == (other.metadata_dir / path.name).read_bytes(), path.name
    assert other.features == demo.features and other.fail_to_pass == demo.fail_to_pass
    assert len(demo.merged_prs) >= 20


def test_rerun_reuses_and_partial_dir_is_refused(demo, tmp_path):
    again = build_demo(demo.repo_path.parent)
    assert again == demo
    (tmp_path / "repo").mkdir()
    with pytest.raises(InputError):
        build_demo(tmp_path)


def test_merges_squashes_and_branch_that_merged_main(demo, pulls):
    repo = demo.repo_path
    merges = git(repo, "log", "--merges", "--first-parent", "--format=%s", "main").splitlines()
    for number in demo.features["merge_commit"]:
        assert any(s.startswith(f"Merge pull request #{number} from ") for s in merges)
        sha = merge_sha(pulls, number)
        assert git(repo, "rev-parse", f"{sha}^2").strip() == pulls[number]["head"]["sha"]
    subjects = git(repo, "log", "--first-parent", "--format=%s", "main").splitlines()
    assert len(demo.features["squash"]) >= 2
    for number in demo.features["squash"]:
        assert f"{pulls[number]['title']} (#{number})" in subjects
        assert (
            len(git(repo, "rev-list", "--parents", "-n1", merge_sha(pulls, number)).split()) == 2
        )  # one parent
    # Multi-commit PR: 3+ commits on its branch.
    (multi,) = demo.features["multi_commit"][:1]
    assert (
        int(git(repo, "rev-list", "--count", f"{merge_sha(pulls, multi)}^1..{merge_sha(pulls, multi)}^2"))
        >= 3
    )
    # The branch merged main midway while main moved on (another PR merged in between).
    (mid,) = demo.features["merged_main_midway"][:1]
    branch = git(
        repo, "log", "--format=%s", f"{merge_sha(pulls, mid)}^1..{merge_sha(pulls, mid)}^2"
    ).splitlines()
    assert f"Merge branch 'main' into {pulls[mid]['head']['ref']}" in branch
    assert branch[-1] != branch[0] and len(branch) >= 3  # commits before and after the merge of main
    moved = git(
        repo,
        "log",
        "--first-parent",
        "--format=%s",
        f"{pulls[mid]['base']['sha']}..{merge_sha(pulls, mid)}^1",
    )
    assert "Merge pull request #" in moved


def test_file_level_features(demo, pulls):
    repo = demo.repo_path
    statuses = {n: name_status(repo, merge_sha(pulls, n)) for n in demo.merged_prs}
    (renamed,) = demo.features["renamed_file"][:1]
    assert any(s[0].startswith("R") and s[0] != "R100" for s in statuses[renamed])  # rename with edits
    assert any(s[0] == "D" for s in statuses[demo.features["deleted_file"][0]])
    assert all(any(s[0] == "A" for s in statuses[n]) for n in demo.features["added_file"])
    docs = statuses[demo.features["docs_only"][0]]
    assert docs and all(s[-1].endswith((".md", ".rst")) for s in docs)
    many = statuses[demo.features["many_py_files"][0]]
    assert sum(s[-1].endswith(".py") for s in many) > 5
    mixed = [s[-1] for s in statuses[demo.features["mixed_py_non_py"][0]]]
    assert any(p.endswith(".py") for p in mixed) and any(p.endswith((".toml", ".yml", ".cfg")) for p in mixed)
    # Binary: git itself sees no text diff (numstat "-").
    binary = merge_sha(pulls, demo.features["binary"][0])
    assert any(
        line.startswith("-\t-\t")
        for line in git(repo, "diff", "--numstat", f"{binary}^1", binary).splitlines()
    )
    # Non-UTF-8 text: bytes that do not decode as UTF-8 but have no NUL.
    for number in demo.features["non_utf8"]:
        sha = merge_sha(pulls, number)
        blobs = [s[-1] for s in statuses[number] if not s[-1].startswith("textkit/") and "test_" not in s[-1]]
        raw = [
            subprocess.run(["git", "show", f"{sha}:{p}"], cwd=repo, capture_output=True).stdout for p in blobs
        ]
        assert any(b"\0" not in data and not _is_utf8(data) for data in raw)
    # Repeated lines: the edited line occurs twice before the PR, and the PR changes only one of them.
    rep = merge_sha(pulls, demo.features["repeated_lines"][0])
    before = git(repo, "show", f"{rep}^1:textkit/table.py")
    after = git(repo, "show", f"{rep}:textkit/table.py")
    assert before.count('    if not rows:\n        return ""\n') == 2
    assert after.count('    if not rows:\n        return ""\n') == 1
    # Bot PR: dependabot bumps a pin.
    bot = demo.features["bot"][0]
    assert pulls[bot]["user"] == {**pulls[bot]["user"], "login": "dependabot[bot]", "type": "Bot"}
    assert "+pytest==" in git(
        repo, "diff", f"{merge_sha(pulls, bot)}^1", merge_sha(pulls, bot), "--", "requirements-dev.txt"
    )


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# Runs many pytest sessions in one interpreter (one startup instead of dozens): each job checks out
# a commit in the worktree, optionally overlays files from another commit, and reports the failures.
_RUNNER = """
import json, subprocess, sys
import pytest

class Failures:
    def __init__(self):
        self.ids = []
    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.ids.append(report.nodeid)

work, jobs, out = sys.argv[1], json.loads(sys.argv[2]), []
for job in jobs:
    subprocess.run(["git", "checkout", "-q", "-f", "--detach", job["sha"]], cwd=work, check=True)
    for sha, path in job.get("overlay", []):
        subprocess.run(["git", "checkout", sha, "--", path], cwd=work, check=True)
    for name in list(sys.modules):  # forget the previous commit's library and test modules
        if name.split(".")[0] in ("textkit", "conftest") or name.startswith("test_"):
            del sys.modules[name]
    failures = Failures()
    args = ["-q", "-p", "no:cacheprovider", "--rootdir", work, *job.get("args", [])]
    code = pytest.main(args, plugins=[failures])
    out.append({"sha": job["sha"], "code": int(code), "failed": failures.ids})
print(json.dumps(out))
"""


def run_pytest_jobs(repo: Path, tmp_path: Path, jobs: list[dict]) -> list[dict]:
    work = tmp_path / "wt"
    git(repo, "worktree", "add", "--detach", "-q", str(work), "main")
    try:
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        proc = subprocess.run(
            [sys.executable, "-c", _RUNNER, str(work), json.dumps(jobs)],
            cwd=work,
            capture_output=True,
            text=True,
            env=env,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        git(repo, "worktree", "remove", "--force", str(work))


def test_bugfix_tests_fail_before_and_pass_after(demo, pulls, tmp_path):
    assert len(demo.bugfix_prs) >= 6
    jobs = []
    for number in demo.bugfix_prs:
        sha, tests = merge_sha(pulls, number), demo.fail_to_pass[number]
        changed = [s[-1] for s in name_status(demo.repo_path, sha)]
        assert len(changed) == 2 and changed[0].startswith("tests/") and changed[1].startswith("textkit/")
        assert f"Fixes #{demo.linked_issues[number]}" in pulls[number]["body"]
        # The PR's tests on the code before the fix, then the whole PR.
        jobs.append({"sha": f"{sha}^1", "overlay": [[sha, changed[0]]], "args": tests})
        jobs.append({"sha": sha, "args": tests})
    results = run_pytest_jobs(demo.repo_path, tmp_path, jobs)
    for number, before, after in zip(demo.bugfix_prs, results[::2], results[1::2], strict=True):
        assert before["code"] == 1 and sorted(before["failed"]) == sorted(demo.fail_to_pass[number]), before
        assert after["code"] == 0, after


@pytest.mark.slow
def test_suite_passes_at_every_merge_on_main(demo, tmp_path):
    shas = git(demo.repo_path, "rev-list", "--first-parent", "main").split()
    results = run_pytest_jobs(demo.repo_path, tmp_path, [{"sha": sha} for sha in shas])
    assert [r for r in results if r["code"] != 0] == []
    assert len(results) == len(demo.merged_prs) + 1  # every PR's merge plus the initial commit
    # Python >= 3.9 syntax everywhere (no match statements, no parenthesized context managers, ...).
    for path in demo.repo_path.rglob("*.py"):
        if ".git" not in path.parts:
            ast.parse(path.read_bytes(), filename=str(path), feature_version=(3, 9))


def test_metadata_matches_git(demo, pulls):
    repo, meta = demo.repo_path, demo.metadata_dir
    data = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in meta.glob("*.json")}
    assert set(data) == {"repo", "pulls", "issues", "issue_comments", "reviews", "review_comments"}
    assert data["repo"]["full_name"] == demo.repo_name and data["repo"]["language"] == "Python"
    main_subjects = git(repo, "log", "--first-parent", "--format=%H %s", "main").splitlines()
    in_git = {int(s.split("#")[1].split()[0].rstrip(")")) for s in main_subjects if "#" in s}
    assert in_git == set(demo.merged_prs)
    for number in demo.merged_prs:
        pr = pulls[number]
        assert pr["merged_at"] and f"{pr['merge_commit_sha']} " in "\n".join(main_subjects)
        assert git(repo, "rev-parse", f"refs/pull/{number}/head").strip() == pr["head"]["sha"]
    for number in demo.unmerged_prs:
        assert pulls[number]["merged_at"] is None and pulls[number]["merge_commit_sha"] is None
        assert git(repo, "cat-file", "-e", pulls[number]["head"]["sha"], check=False) == ""
        assert number not in in_git
    issues = {i["number"]: i for i in data["issues"]}
    assert not set(issues) & set(pulls)  # PRs are not in issues.json
    counts = {}
    for c in data["issue_comments"]:
        counts[int(c["issue_url"].rsplit("/", 1)[1])] = (
            counts.get(int(c["issue_url"].rsplit("/", 1)[1]), 0) + 1
        )
    for number in demo.bugfix_prs:
        issue = issues[demo.linked_issues[number]]
        assert (
            issue["comments"] == counts[issue["number"]] and issue["closed_at"] >= pulls[number]["merged_at"]
        )
        assert (
            issue["comments"] > 20
            if number in demo.features["issue_many_comments"]
            else 1 <= issue["comments"] <= 3
        )
    assert any(n in pulls for n in counts)  # PR conversation comments
    assert {r["state"] for r in data["reviews"]} == {"APPROVED", "CHANGES_REQUESTED", "COMMENTED"}
    ids = {c["id"] for c in data["review_comments"]}
    replies = [c for c in data["review_comments"] if "in_reply_to_id" in c]
    assert replies and all(c["in_reply_to_id"] in ids for c in replies)
    assert all(c["diff_hunk"].startswith("@@") and c["line"] > 0 for c in data["review_comments"])
    # Reviews interleave with commits: some review falls between two commits of its PR.
    number = demo.features["multi_commit"][0]
    pr_sha = merge_sha(pulls, number)
    dates = git(repo, "log", "--format=%aI", f"{pr_sha}^1..{pr_sha}^2").split()
    stamps = sorted(d.replace("+00:00", "Z") for d in dates)
    reviews = [
        r["submitted_at"] for r in data["reviews"] if r["pull_request_url"].endswith(f"/pulls/{number}")
    ]
    assert any(stamps[0] < r < stamps[-1] for r in reviews)


# The demo as built when its history was Python literals (before it moved to data/*.json): every
# commit of `git log --all` and the bytes of the metadata files. A change here changes every SHA
# downstream (task ids, goldens): if the demo's history changed on purpose, update both.
DEMO_LOG_SHA256 = "dafe2c963b7bb0425dc9395cdbd440f8125a8a7b11c935e978945a23f121c57e"
DEMO_METADATA_SHA256 = "9897cc704dca05e6f56155090027740ba538b0052a7346887ef25946743c87ad"


def test_demo_replayed_from_data_files_is_the_recorded_demo(demo):
    import hashlib

    log = git(demo.repo_path, "log", "--all", "--format=%H")
    assert len(log.split()) == 56 and hashlib.sha256(log.encode()).hexdigest() == DEMO_LOG_SHA256
    h = hashlib.sha256()
    for path in sorted(demo.metadata_dir.iterdir()):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    assert h.hexdigest() == DEMO_METADATA_SHA256


def test_demo_data_files_decode_without_loss():
    from importlib import resources

    from agentmt.sources.demo.history import encode, initial_files, load_history
    from agentmt.sources.demo.spec import PRSpec

    data = resources.files("agentmt.sources.demo").joinpath("data")
    assert encode(list(load_history())) == json.loads(data.joinpath("history.json").read_text(encoding="utf-8"))
    files = json.loads(data.joinpath("initial_files.json").read_text(encoding="utf-8"))
    assert {p: encode(c) for p, c in initial_files().items()} == files
    prs = [i for i in load_history() if isinstance(i, PRSpec)]
    ops = [op for pr in prs for step in pr.steps for op in getattr(step, "ops", ())]
    assert any(isinstance(getattr(op, "content", None), bytes) for op in ops)  # binary / latin-1 files survive
