"""The `mine git` stage and CLI: shards, manifest, profiles, resume after a crash, the demo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import GitRepo

from agentmt import io
from agentmt.errors import InputError, StageConflictError
from agentmt.sources.mine import encode_pr, mine_git
from agentmt.types import PullRequest


def agentmt(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agentmt.cli.main", *args], capture_output=True, text=True,
                          check=False)


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    """12 PRs: squash Python PRs, merge PRs (one touching JS, one by a bot), direct commits."""
    r = GitRepo(tmp_path_factory.mktemp("hist") / "repo")
    r.commit("init", {"src/m.py": "v = 0\n", "web/app.js": "x\n"})
    for n in range(1, 13):
        if n % 4 == 0:
            r.checkout(f"b{n}", new=True)
            r.commit(f"work {n}", {f"src/m{n}.py": f"n = {n}\n"},
                     author="ci-bot[bot] <bot@x>" if n == 8 else "Dev <dev@x>")
            r.commit(f"more {n}", {"web/app.js": f"{n}\n"} if n == 4 else {f"docs/{n}.md": "doc\n"})
            r.checkout("main")
            r.merge_pr(n, f"b{n}", f"Branch work {n}")
        else:
            r.commit(f"Change {n} (#{n})", {"src/m.py": f"v = {n}\n"})
        if n % 5 == 0:
            r.commit(f"direct {n}", {"notes.txt": f"{n}\n"})
    return r.path


def write_pulls(md: Path) -> Path:
    """Metadata for PRs 1..12 (2 closed unmerged) plus one record missing its number."""
    md.mkdir(exist_ok=True)
    pulls = [{"number": n, "title": f"Meta title {n}", "body": "Fixes #100", "user": {"login": f"u{n}", "type": "User"},
              "created_at": "2024-01-01T00:00:00Z", "merged_at": None if n == 2 else "2024-01-02T00:00:00Z",
              "merged_by": {"login": "lead"}} for n in range(1, 13)]
    (md / "pulls.json").write_text(json.dumps(pulls + [{"title": "no number"}]))
    return md


def records(out: Path) -> list[PullRequest]:
    return list(io.read_records(out, PullRequest))


def test_cli_mines_into_shards_with_manifest(history: Path, tmp_path: Path):
    out = tmp_path / "out"
    proc = agentmt("mine", "git", str(history), "--out", str(out), "-c", "shard_size=4", "-c", "repo_name=acme/m")
    assert proc.returncode == 0, proc.stderr
    assert "kept 10 of 12 PRs" in proc.stdout
    prs = records(out)
    assert [p.number for p in prs] == [1, 2, 3, 5, 6, 7, 9, 10, 11, 12]  # 4 touches JS, 8 is a bot
    m = io.read_manifest(out)
    assert m["shards"] == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert m["drops"] == {"bot_author": 1, "non_python_files": 1}
    assert m["counts"]["prs_seen"] == 12 and m["counts"]["prs_kept"] == 10 and m["counts"]["mainline_commits"] == 15
    assert m["extra"]["head_sha"] and m["extra"]["ref"] == "HEAD" and m["config"]["filters"]["profile"] == "py"
    assert m["agentmt_version"]
    import pyarrow.parquet as pq

    cols = pq.read_table(out / "part-00000.parquet").column_names
    assert cols[:3] == ["id", "repo", "number"] and "commits" in cols and "record_json" not in cols
    row = next(io.read_rows(out))
    assert row == encode_pr(prs[0])


def test_gen_profile_and_bad_input_cli(history: Path, tmp_path: Path):
    out = tmp_path / "gen"
    m = mine_git(history, out, "mine_gen", "progress=false")
    assert m.counts["prs_kept"] == 11 and m.drops == {"bot_author": 1}
    proc = agentmt("mine", "git", str(tmp_path), "--out", str(tmp_path / "x"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "is not a git repository" in proc.stderr
    proc = agentmt("mine", "git", str(history), "--out", str(tmp_path / "x"), "-c", "ref=v9")
    assert proc.returncode == 2 and "unknown ref 'v9'" in proc.stderr


def test_resume_after_crash_matches_clean_run(history: Path, tmp_path: Path, monkeypatch):
    md = write_pulls(tmp_path / "md")  # metadata counts must resume exactly too
    clean = tmp_path / "clean"
    mine_git(history, clean, "shard_size=3", "progress=false", "batch_prs=2", metadata_dir=md)
    expected = [p.to_dict() for p in records(clean)]
    expected_manifest = io.read_manifest(clean)

    crashed = tmp_path / "crashed"
    real_write = io.write_records
    calls = []

    def crash_on_third(path, rows, cls):
        calls.append(path)
        if len(calls) == 3:
            raise KeyboardInterrupt("simulated kill")
        return real_write(path, rows, cls)

    monkeypatch.setattr(io, "write_records", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        mine_git(history, crashed, "shard_size=3", "progress=false", "batch_prs=2", metadata_dir=md)
    monkeypatch.setattr(io, "write_records", real_write)
    assert not (crashed / io.MANIFEST).exists() and io.is_done(crashed, "part-00001.parquet")
    assert expected_manifest["counts"]["metadata_joined"] == 12 and len(expected) == 10
    m = mine_git(history, crashed, "shard_size=3", "progress=false", "batch_prs=5", metadata_dir=md)  # any batch
    assert [p.to_dict() for p in records(crashed)] == expected
    assert m.to_dict()["counts"] == expected_manifest["counts"] and dict(m.drops) == expected_manifest["drops"]

    # Losing the last shard and its marker: the rerun rebuilds exactly it.
    (crashed / "part-00003.parquet").unlink()
    (crashed / io.DONE_DIR / "part-00003.parquet").unlink()
    m = mine_git(history, crashed, "shard_size=3", "progress=false", metadata_dir=md)
    assert [p.to_dict() for p in records(crashed)] == expected
    assert m.to_dict()["counts"] == expected_manifest["counts"]

    with pytest.raises(StageConflictError, match="another config, input or agentmt version.*--force"):
        mine_git(history, crashed, "shard_size=4", "progress=false", metadata_dir=md)
    m = mine_git(history, crashed, "shard_size=4", "progress=false", metadata_dir=md, force=True)
    assert m.shards == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert sorted(p.name for p in crashed.glob("*.parquet")) == m.shards  # the old 4th shard is gone
    assert [p.to_dict() for p in records(crashed)] == expected


def test_metadata_join_through_stage(history: Path, tmp_path: Path):
    md = write_pulls(tmp_path / "md")
    (md / "repo.json").write_text(json.dumps({"full_name": "acme/meta", "description": "Meta repo"}))
    (md / "issues.json").write_text(json.dumps([{"number": 100, "title": "Bug", "body": "b", "user": {"login": "z"}}]))
    m = mine_git(history, tmp_path / "out", "progress=false", metadata_dir=md)
    prs = records(tmp_path / "out")
    assert 2 not in [p.number for p in prs] and m.drops["not_merged"] == 1
    assert m.drops["metadata_pulls_invalid"] == 1 and m.counts["metadata_joined"] == 12
    p = prs[0]
    assert (p.repo, p.title, p.author, p.issue.title, p.repo_description) == (
        "acme/meta", "Meta title 1", "u1", "Bug", "Meta repo")
    (md / "issues.json").write_text("[{")
    proc = agentmt("mine", "git", str(history), "--out", str(tmp_path / "o2"), "--metadata", str(md))
    assert proc.returncode == 2 and "issues.json is not valid JSON" in proc.stderr


def test_mines_the_demo(tmp_path: Path):
    demo_mod = pytest.importorskip("agentmt.sources.demo", reason="agentmt.sources.demo is not committed yet")
    info = demo_mod.build_demo(tmp_path / "demo")
    f = info.features
    m = mine_git(info.repo_path, tmp_path / "out", "mine_gen", "progress=false", metadata_dir=info.metadata_dir)
    prs = {p.number: p for p in records(tmp_path / "out")}
    assert set(prs) == set(info.merged_prs) - set(f["bot"]) and dict(m.drops) == {"bot_author": len(f["bot"])}
    assert all(p.repo == info.repo_name and p.merged_by for p in prs.values())
    for n, issue in info.linked_issues.items():
        assert prs[n].issue is not None and prs[n].issue.number == issue
    assert {prs[n].merge_kind for n in f["squash"]} == {"squash"}
    assert any(ch.status == "renamed" for n in f["renamed_file"] for c in prs[n].commits for ch in c.changes)
    assert any(len(c.parents) == 2 for n in f["merged_main_midway"] for c in prs[n].commits)
    assert all(any(ch.binary for c in prs[n].commits for ch in c.changes) for n in f["binary"] + f["non_utf8"])
    py = mine_git(info.repo_path, tmp_path / "py", "progress=false", metadata_dir=info.metadata_dir)
    kept = {p.number for p in records(tmp_path / "py")}
    assert py.counts["prs_kept"] == len(kept) > 0
    assert not kept & set(f["docs_only"] + f["many_py_files"] + f["mixed_py_non_py"] + f["bot"])
