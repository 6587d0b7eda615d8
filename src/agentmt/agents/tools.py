"""The tools' host side: ship `container_tools.py` once, then one `exec` per call; the host is never touched.

`bash` and `str_replace_editor` run inside the container (see container_tools.py for why a
script). `submit` returns the diff of the working tree against the task's base commit with every
test file left out (the one test-path rule, `environments.tasks.is_test_path`), built on a
scratch index so the agent's own index is untouched.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
from importlib import resources
from typing import Any

from agentmt.agents.exceptions import EnvironmentFailed, Submitted
from agentmt.errors import InfrastructureError
from agentmt.testpaths import is_test_path

STATE = "/tmp/.agentmt"  # container-side folder of the tools (history, scratch index); outside /testbed
SCRIPT = f"{STATE}/container_tools.py"
MAX_INLINE_ARG = 96_000  # one exec argument may be 128 KiB (MAX_ARG_STRLEN); larger payloads go by file
HOST_GUARD_S = 30  # the host-side exec timeout sits above the in-container one so the script can report
MAX_DIFF = 64 << 20  # a submission larger than this is clipped (and will not apply): far beyond any real fix
# the system python3 when present (a task venv's python may be broken by the agent), else whichever is on PATH
PYTHON = 'exec "$(command -v /usr/bin/python3 || command -v python3)"'

_DIFF_FILE = re.compile(r"^diff --git a/(.*) b/(.*)$")


def split_diff(diff: str) -> list[tuple[str, str]]:
    """[(path, that file's diff section)] in order; the path is the new side (old side for deletions)."""
    sections: list[tuple[str, list[str]]] = []
    for line in diff.splitlines(keepends=True):
        m = _DIFF_FILE.match(line.rstrip("\n"))
        if m:
            sections.append((m.group(2), [line]))
        elif sections:
            sections[-1][1].append(line)
    return [(path, "".join(body)) for path, body in sections]


def drop_test_files(diff: str) -> str:
    """`diff` without the sections of test files (folders tests/, test_*.py, *_test.py, conftest.py)."""
    return "".join(body for path, body in split_diff(diff) if not is_test_path(path))


class ToolBox:
    """Runs the agent's tool calls in `env` for one task; `call()` returns the observation text."""

    def __init__(self, env, *, base_commit: str, workdir: str = "/testbed", timeout_s: int = 120,
                 head_chars: int = 8000, tail_chars: int = 8000):
        self.env = env
        self.base_commit = base_commit
        self.workdir = workdir
        self.timeout_s = timeout_s
        self.head_chars, self.tail_chars = head_chars, tail_chars
        self._installed = False
        self._server = None  # ToolServer, when env is a docker container (else one exec per call)

    def install(self) -> None:
        """Copy the container script in (once) and start its server when `env` is a docker container."""
        script = (resources.files("agentmt.agents") / "container_tools.py").read_text()
        container = self._container()
        if container is not None:  # one transfer creates the folder and the file (also on the tmpfs /tmp)
            try:
                self.env.write_file(SCRIPT, script, parents=True)
            except Exception as e:  # the daemon boundary: a gone container or daemon
                raise EnvironmentFailed(f"could not copy the tools into the container: {e}") from e
        else:
            self._exec(f"mkdir -p {STATE}", 60)
            self._write(SCRIPT, script)
        self._installed = True
        self._start_server()

    def _container(self):
        container = getattr(self.env, "container", None)
        return container if container is not None and hasattr(container, "client") else None

    def _start_server(self) -> None:
        container = self._container()
        if container is None:
            return
        from agentmt.agents.toolserver import ToolServer

        try:
            self._server = ToolServer(container, ["sh", "-c", f"{PYTHON} {SCRIPT} serve"])
        except Exception:  # the daemon boundary: fall back to one exec per call, which reports its own errors
            self._server = None

    def close(self) -> None:
        """Stop the in-container tool server (the container itself belongs to the caller)."""
        if self._server is not None:
            self._server.close()
            self._server = None

    def call(self, name: str, arguments: dict[str, Any], *, timeout_s: int | None = None) -> tuple[str, int]:
        """(observation, return code) of one validated call; `submit` raises `Submitted` instead."""
        if not self._installed:
            self.install()
        if name == "submit":
            raise Submitted("submitted", submission=self.submission())
        timeout = min(timeout_s or self.timeout_s, self.timeout_s)
        payload = dict(arguments, tool=name)
        if name == "bash":
            payload.update(timeout=timeout, head=self.head_chars, tail=self.tail_chars, cwd=self.workdir)
        return self._run(payload, timeout)

    def _run(self, payload: dict[str, Any], timeout: int) -> tuple[str, int]:
        if self._server is not None:
            result = self._server.request(payload, timeout + HOST_GUARD_S)
            if result is not None:
                return result["output"], int(result["returncode"])
            detail = self._server.stderr.decode("utf-8", "replace")[-500:]
            self.close()  # dead or stuck: the next call runs through a fresh one
            self._check_alive()
            self._start_server()
            return f"The tool process stopped while running this call; it was restarted. {detail}".strip(), -1
        arg = base64.b64encode(json.dumps(payload).encode()).decode()
        if len(arg) > MAX_INLINE_ARG:
            self._write(f"{STATE}/args.b64", arg)
            arg = f"@{STATE}/args.b64"
        out, rc = self._exec(f"{PYTHON} {SCRIPT} {arg}", timeout + HOST_GUARD_S)
        try:
            result = json.loads(out)
            return result["output"], int(result["returncode"])
        except (ValueError, KeyError, TypeError):
            # the script itself could not run (python removed, container killed mid-call): say what came back
            self._check_alive()
            return f"The tool could not run (exit {rc}): {out[-2000:]}", rc

    def submission(self) -> str:
        """Working tree vs base commit (untracked files included), test files excluded."""
        if not self._installed:
            self.install()
        idx = f"{STATE}/submit.index"
        w = shlex.quote(self.workdir)
        cmd = (f"cd {w} && rm -f {idx} && cp .git/index {idx} 2>/dev/null; "
               f"GIT_INDEX_FILE={idx} git add -A >/dev/null 2>&1 && "
               f"GIT_INDEX_FILE={idx} git -c core.quotepath=off diff --cached --no-color --no-ext-diff "
               f"{shlex.quote(self.base_commit)} 2>/dev/null")
        out, rc = self._run({"tool": "bash", "command": cmd, "timeout": 120, "head": MAX_DIFF, "tail": 0,
                             "cwd": "/"}, 120)
        if rc != 0:
            self._check_alive()
            return ""  # no repository left (the agent deleted it): an empty submission, not a crash
        return drop_test_files(out)

    def _exec(self, command: str, timeout_s: int) -> tuple[str, int]:
        try:
            return self.env.execute(command, timeout_s=timeout_s, workdir="/")
        except InfrastructureError as e:
            raise EnvironmentFailed(str(e)) from e

    def _write(self, path: str, text: str) -> None:
        try:
            self.env.write_file(path, text)
        except (InfrastructureError, FileNotFoundError) as e:
            raise EnvironmentFailed(f"could not write {path} into the container: {e}") from e

    def _check_alive(self) -> None:
        """Raise EnvironmentFailed when the container stopped (exited or OOM-killed)."""
        container = getattr(self.env, "container", None)
        if container is None:
            return
        try:
            container.reload()
            running = container.status == "running"
            state = container.attrs.get("State", {})
        except Exception as e:  # the daemon boundary: a vanished container or daemon is the environment's
            raise EnvironmentFailed(f"the container is gone: {e}") from e
        if not running:
            oom = " (OOM-killed)" if state.get("OOMKilled") else ""
            raise EnvironmentFailed(f"the container stopped{oom}: exit code {state.get('ExitCode')}")
