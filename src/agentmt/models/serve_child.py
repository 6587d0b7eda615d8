"""Child-process entry for `transformers serve` that dies with its parent.

`serve_model()` stops the server on every exit it sees, but a parent killed with SIGKILL (or a
SIGTERM that lands while it is blocked) sees none: a watchdog thread notices the re-parenting and
exits, so no orphaned server keeps a port and a core busy.
"""

from __future__ import annotations

import os
import sys
import threading
import time


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def main() -> None:
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    from transformers.cli.transformers import main as transformers_main

    sys.argv = ["transformers", *sys.argv[1:]]
    sys.exit(transformers_main())


if __name__ == "__main__":
    main()
