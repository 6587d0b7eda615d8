"""Ctrl-C: exit 130 and one line naming what was kept and the rerun command; the rerun resumes exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bulkrepo import make_bulk_repo

from agentmt.cli.interrupt import interrupted_message, out_dir_of

AGENTMT = [sys.executable, "-c", "import sys; sys.argv[0] = 'agentmt'; from agentmt.cli.main import main; main()"]


def _mine(repo: Path, out: Path) -> list[str]:
    # one PR a shard: the 300 shards take ~1.5 s to write (~5 ms each), so the interrupt sent after the
    # second lands mid-walk even when this process is slow to notice it (with 60 shards of 5 the whole
    # walk took 0.3 s and a loaded CI machine let it finish first: exit 0)
    return [*AGENTMT, "mine", "git", str(repo), "--out", str(out), "-c", "repo_name=o/r", "-c", "shard_size=1"]


def _shards(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("part-*.parquet"))}


def test_sigint_exits_130_with_the_resume_line_and_the_rerun_finishes_the_same(tmp_path):
    repo = make_bulk_repo(tmp_path / "repo", 300)
    out = tmp_path / "prs"
    # as a terminal's foreground job gets Ctrl-C: SIGINT at its default even where this session was
    # started in the background (a shell without job control starts those ignoring SIGINT, the
    # child inherits that, and agentmt, like any program, keeps an ignored SIGINT ignored)
    proc = subprocess.Popen(_mine(repo, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, AGENTMT_DEBUG=""),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (out / ".done" / "part-00001.parquet").exists():  # interrupt mid-walk, after shards exist
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, (stdout, stderr)
    assert "kept" not in stdout  # no success line
    line = stderr.strip().splitlines()[-1]
    assert line.startswith("agentmt: interrupted: ") and f"kept in {out}" in line, stderr
    assert line.endswith(f"rerun: agentmt mine git {repo} --out {out} -c repo_name=o/r -c shard_size=1"), line
    kept = len(_shards(out))
    assert 2 <= kept < 300 and not (out / "manifest.json").exists()

    rerun = subprocess.run(_mine(repo, out), capture_output=True, text=True)
    assert rerun.returncode == 0 and "kept 300 of 300 PRs" in rerun.stdout, rerun.stderr
    clean = tmp_path / "clean"
    subprocess.run(_mine(repo, clean), capture_output=True, check=True)
    assert _shards(out) == _shards(clean) and len(_shards(clean)) == 300


def test_interrupted_message_counts_markers_and_quotes_the_command(tmp_path):
    out = tmp_path / "my out"
    (out / ".done").mkdir(parents=True)
    for name in ("part-00000.parquet", "part-00001.parquet", ".part-00002.parquet.tmp"):
        (out / ".done" / name).write_text("{}")
    argv = [".venv/bin/agentmt", "ctx", "render", "prs", f"--out={out}"]
    assert out_dir_of(argv) == out
    assert interrupted_message(argv) == (f"agentmt: interrupted: 2 finished units kept in {out} (unfinished ones "
                                         f"are redone); to resume, rerun: .venv/bin/agentmt ctx render prs '--out={out}'")
    assert "finished work is kept" in interrupted_message(["agentmt", "mine", "git", "r", "-o", str(tmp_path / "x")])
