"""A stage command ends with its drop reasons counted, and shows progress off a terminal."""

from __future__ import annotations

import json

from agentmt.progress import drops_text


def test_mine_and_render_print_their_drop_reasons_and_progress_lines(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTMT_PROGRESS_EVERY", "0")
    assert cli("demo", "init", tmp_path / "demo")[0] == 0
    code, out, err = cli("mine", "git", tmp_path / "demo" / "repo", "--metadata", tmp_path / "demo" / "metadata",
                         "--out", tmp_path / "prs")
    drops = json.loads((tmp_path / "prs" / "manifest.json").read_text())["drops"]
    assert code == 0 and sum(drops.values()) > 0
    assert f"kept 18 of 23 PRs (24 mainline commits; dropped: {drops_text(drops)}) ->" in out
    assert "agentmt: mining commits: 24 of 24 commits (100%)" in err
    code, out, err = cli("ctx", "render", tmp_path / "prs", "--format", "py", "--no-llm", "--out", tmp_path / "ctx")
    drops = json.loads((tmp_path / "ctx" / "manifest.json").read_text())["drops"]
    assert code == 0 and f"(dropped: {drops_text(drops)}) ->" in out and sum(drops.values()) > 0
    assert "agentmt: ctx py part-00000.parquet: 18 of 18 PRs (100%)" in err
    assert "agentmt: ctx_render: 1 of 1 units (100%)" in err


def test_drops_text_ranks_by_count():
    assert drops_text({"bot_author": 1, "not_merged": 300, "a": 1, "zero": 0}) == "300 not_merged, 1 a, 1 bot_author"
    assert drops_text({}) == "none"
