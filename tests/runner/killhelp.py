"""Run an `agentmt` command in a subprocess, stop it at a chosen point, and `kill -9` it.

The child patches one of agentmt.io's write functions: at its `n`-th call it either finishes the
call and then blocks (`after="mark_done"`: the n-th completion marker is on disk) or writes the
data file's temporary copy and blocks before the rename (`after="_write_table"`: a torn write). It
announces the stop by creating a signal file; the parent waits for that file (an explicit signal,
not a timing guess), then SIGKILLs the child, which cannot clean up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import os, sys, time
from pathlib import Path
from agentmt import io
hook, n, signal_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sys.argv = ["agentmt", *sys.argv[4:]]
original = getattr(io, hook)
calls = [0]

def stop():
    Path(signal_path).write_text(str(os.getpid()))
    time.sleep(3600)  # killed here

def patched(*args, **kwargs):
    calls[0] += 1
    if hook == "_write_table" and calls[0] == n:
        import pyarrow.parquet as pq
        path, table = Path(args[0]), args[1]
        pq.write_table(table, path.with_name(f".{path.name}.{os.getpid()}.tmp"))  # the torn half
        stop()
    result = original(*args, **kwargs)
    if hook == "mark_done" and calls[0] == n:
        stop()
    return result

setattr(io, hook, patched)
from agentmt.cli.main import main
main()
"""


def agentmt(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agentmt.cli.main", *args], capture_output=True, text=True,
                          check=False, env=env, timeout=timeout)


def run_and_kill(args: list[str], hook: str, n: int, tmp: Path, timeout: float = 600) -> bool:
    """Start `agentmt ARGS`, kill -9 it at the n-th call of `hook`; False if it finished first."""
    sig = tmp / f"stopped-{hook}-{n}"
    sig.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", CHILD, hook, str(n), str(sig), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    while not sig.exists():
        if proc.poll() is not None:  # the run ended before the n-th call
            out, err = proc.communicate()
            assert proc.returncode == 0, err
            return False
        assert time.monotonic() < deadline, "the child neither stopped nor finished"
        time.sleep(0.05)  # waiting for the child's own signal file; it blocks once it wrote it
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return True


def data_bytes(out: Path) -> dict[str, bytes]:
    """Every data file of a stage folder (markers, manifest and logs aside), by relative path."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.suffix in (".parquet", ".jsonl")
            and not any(part.startswith(".") for part in p.relative_to(out).parts)}


def temp_files(out: Path) -> list[str]:
    return [p.name for p in out.rglob(".*.tmp")]
