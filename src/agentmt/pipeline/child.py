"""Run one pipeline stage in a child process: how `agentmt run` overlaps independent stages.

The parent (`pipeline.run.StageProcess`) pickles the stage's arguments to our stdin; we run it exactly
as the parent would in-process (markers, resume, failure capture) and write its `StageResult` as JSON
to the path in argv[1]. We die with the parent, even by SIGKILL, so a killed run leaves no stage
behind writing into the folder its rerun resumes.
"""

from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import pickle
import signal
import sys
import threading
from pathlib import Path

PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    """SIGKILL when the parent dies (Linux prctl), else a watchdog that notices the re-parenting."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # it died before prctl took effect
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass
    from agentmt.models.serve_child import _exit_when_orphaned

    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


def main() -> None:
    parent = int(sys.argv[2])
    _die_with(parent)
    from agentmt import io
    from agentmt.pipeline.run import _run_pipeline_stage

    args = pickle.load(sys.stdin.buffer)
    try:
        result = _run_pipeline_stage(*args)
    except KeyboardInterrupt:
        sys.exit(130)  # Ctrl-C: the parent prints the one `interrupted` line, no traceback per stage
    io.atomic_write_text(Path(sys.argv[1]), json.dumps(dataclasses.asdict(result), default=str))


if __name__ == "__main__":
    main()
