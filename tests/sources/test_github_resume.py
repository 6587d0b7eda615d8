"""`agentmt mine github` killed with SIGKILL mid-run, then rerun: every PR once, as a clean run;
an expired token stops the CLI with one line that never shows the token."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from github_server import demo_server, make_demo

from agentmt import io
from agentmt.sources.github.clock import SystemClock
from agentmt.types import PullRequest


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return make_demo(tmp_path_factory.mktemp("demo"))


def cli(url: str, out: Path, name: str, token: str = "good-token", wait: bool = True, *specs: str):
    cmd = [sys.executable, "-m", "agentmt.cli.main", "mine", "github", name, "--out", str(out),
           "-c", f"api_url={url}", "-c", f"clone_dir={out.parent / 'clones'}", "-c", "page_size=4",
           "-c", "filters.profile=gen", "-c", "timeout_s=120", *specs]
    env = {**os.environ, "GITHUB_TOKEN": token}
    if not wait:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)


def ids(folder: Path) -> list[str]:
    return [p.id for p in io.read_records(folder, PullRequest)]


def until(predicate, limit_s: float = 60.0) -> None:
    """Poll for a state the other process reaches (bounded; not a timing assertion)."""
    end = time.monotonic() + limit_s
    while not predicate():
        assert time.monotonic() < end, "the mining process never got there"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_kill_9_then_rerun_loses_and_duplicates_nothing(demo, tmp_path):
    gh, name = demo_server(SystemClock(), demo)
    with gh:
        clean = cli(gh.url, tmp_path / "clean" / "out", name)
        assert clean.returncode == 0, clean.stderr
        # the 4th page of PRs hangs, so pages 1-3 are written and marked when the process dies
        gh.inject("slow", match="graphql:MergedPulls", delay=600, after=3)  # hangs past the test
        out = tmp_path / "run" / "out"
        proc = cli(gh.url, out, name, wait=False)
        until(lambda: gh.faults[0].times == 0)  # the hanging request has arrived
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        done_before = ids(out)
        assert 0 < len(done_before) < len(ids(tmp_path / "clean" / "out"))
        asked = len(gh.log)
        again = cli(gh.url, out, name)
        assert again.returncode == 0, again.stderr
    rerun_pages = [c for c in gh.calls()[asked:] if c == "graphql:MergedPulls"]
    assert len(rerun_pages) == 3  # pages 4-6 only: finished pages are not asked again
    got = ids(out)
    assert len(got) == len(set(got)) and sorted(got) == sorted(ids(tmp_path / "clean" / "out"))
    clean_m, run_m = (io.read_manifest(d) for d in (tmp_path / "clean" / "out", out))
    assert run_m["counts"] == clean_m["counts"] and run_m["drops"] == clean_m["drops"]
    recs = {p.id: p.to_dict() for p in io.read_records(out, PullRequest)}
    assert recs == {p.id: p.to_dict() for p in io.read_records(tmp_path / "clean" / "out", PullRequest)}


def test_expired_token_is_one_line_without_the_token(demo, tmp_path):
    gh, name = demo_server(SystemClock(), demo)
    with gh:
        r = cli(gh.url, tmp_path / "out", name, token="ghp_expiredSECRET123")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "401" in lines[0] and "GITHUB_TOKEN" in lines[0]
    assert "ghp_expiredSECRET123" not in r.stderr + r.stdout
