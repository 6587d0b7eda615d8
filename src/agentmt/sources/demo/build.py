"""`build_demo(out_dir)`: the embedded demo repository (git history) and its GitHub metadata.

Guarantees: deterministic (same agentmt version -> same commit SHAs and byte-identical JSON),
independent of the user's git configuration, and resumable (a finished demo is reused, a build is
assembled in a temporary folder and moved into place at the end).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from agentmt import __version__
from agentmt.errors import InputError
from agentmt.io import write_json
from agentmt.sources.demo.gitcli import GitCLI
from agentmt.sources.demo.history import initial_files, load_history
from agentmt.sources.demo.info import DemoInfo
from agentmt.sources.demo.metadata import MetadataRecorder
from agentmt.sources.demo.replay import DemoClock, HistoryReplay
from agentmt.sources.demo.spec import IssueSpec, NestedPRStep, PRSpec

REPO_NAME = "agentmt-demo/textkit"
START = 1709542800  # 2024-03-04T09:00:00Z
INFO_FILE = "demo.json"


def iter_pr_specs() -> list[PRSpec]:
    """Every PR of the history, nested ones included, in number order."""
    out = []
    for item in load_history():
        if isinstance(item, PRSpec):
            out.append(item)
            out.extend(s.pr for s in item.steps if isinstance(s, NestedPRStep))
    return sorted(out, key=lambda pr: pr.number)


def build_demo(out_dir: str | Path) -> DemoInfo:
    """Write OUT/repo (git, branch main) and OUT/metadata (GitHub REST JSON); reuse a finished one."""
    out_dir = Path(out_dir)
    info_path = out_dir / INFO_FILE
    if info_path.exists():
        info = DemoInfo.from_dict(json.loads(info_path.read_text(encoding="utf-8")), out_dir)
        if info.version != __version__:
            raise InputError(f"{out_dir} holds a demo built by agentmt {info.version}; delete it to rebuild")
        return info
    if (out_dir / "repo").exists() or (out_dir / "metadata").exists():
        raise InputError(
            f"{out_dir} already has repo/ or metadata/ but no {INFO_FILE}: pick an empty directory"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir, prefix=".demo-build-"))
    try:
        info = _build(tmp)
        (tmp / "repo").rename(out_dir / "repo")
        (tmp / "metadata").rename(out_dir / "metadata")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    info = DemoInfo.from_dict(info.to_dict(), out_dir)
    write_json(info_path, info.to_dict())
    return info


def _build(root: Path) -> DemoInfo:
    repo = root / "repo"
    repo.mkdir()
    git = GitCLI(repo)
    recorder = MetadataRecorder(REPO_NAME, created_at=START - 86400)
    replay = HistoryReplay(git, DemoClock(START), recorder)
    replay.initial_commit(initial_files(), START)
    for item in load_history():
        if isinstance(item, IssueSpec):
            replay.issue(item)
        else:
            replay.pull(item)
    assert git.read("status", "--porcelain") == "", "the demo must end with a clean working tree"
    recorder.write(root / "metadata")
    prs = iter_pr_specs()
    return DemoInfo(
        repo_path=repo,
        metadata_dir=root / "metadata",
        repo_name=REPO_NAME,
        bugfix_prs=sorted(replay.features["bugfix"]),
        features={name: sorted(nums) for name, nums in sorted(replay.features.items())},
        fail_to_pass={pr.number: list(pr.fail_to_pass) for pr in prs if pr.fail_to_pass},
        linked_issues={pr.number: pr.fixes for pr in prs if pr.fixes is not None},
        merged_prs=[pr.number for pr in prs if pr.merge != "closed"],
        unmerged_prs=[pr.number for pr in prs if pr.merge == "closed"],
        version=__version__,
    )
