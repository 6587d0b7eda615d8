"""Run the agentmt CLI and kill -9 this very process at an exact point of training (no polling race).

Usage: python killpoint.py STEP agentmt-args...  The process SIGKILLs itself inside optimizer step
STEP, after its first micro-batch's samples were logged and its loss computed, before the step ends:
exactly a crash mid-step after the last checkpoint.
"""

from __future__ import annotations

import os
import signal
import sys

from agentmt.cli.main import main
from agentmt.training.trainer import AgentmtTrainer


def _install(kill_at_step: int) -> None:
    compute_loss = AgentmtTrainer.compute_loss

    def killing_compute_loss(self, model, inputs, *args, **kwargs):
        out = compute_loss(self, model, inputs, *args, **kwargs)
        if model.training and self.state.global_step + 1 >= kill_at_step:
            os.kill(os.getpid(), signal.SIGKILL)
        return out

    AgentmtTrainer.compute_loss = killing_compute_loss


if __name__ == "__main__":
    _install(int(sys.argv[1]))
    sys.argv = ["agentmt", *sys.argv[2:]]
    main()
