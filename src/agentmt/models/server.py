"""Launch `transformers serve` for one checkpoint on a free port, OpenAI-compatibly.

The server binds `host` (default 127.0.0.1: this machine only; 0.0.0.0 to serve a cluster) and is
handed out as a URL on `advertise_host` (default: the bind address, or this machine's hostname when
it binds every interface), so units on other nodes can reach it. Guarantees: `serve_model()`
yields only once `GET /models` answers (the model is loaded before the port opens), and on leaving the block — normally, on an exception or on Ctrl-C — the
server's whole process group is terminated (SIGTERM, then SIGKILL) and waited for. The server is
pinned to the checkpoint, so requests may omit `model` or must name it exactly as `served_name()`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from agentmt.errors import EndpointError, InputError

DEFAULT_STARTUP_TIMEOUT = 300.0  # loading + first import of torch on 2 busy cores can be slow
STOP_GRACE_S = 10.0


ALL_INTERFACES = ("0.0.0.0", "::", "")


def advertised_host(bind_host: str, advertise_host: str | None = None) -> str:
    """The host name units use to reach a server bound to `bind_host`."""
    if advertise_host:
        return advertise_host
    return socket.gethostname() if bind_host in ALL_INTERFACES else bind_host


def _local_host(bind_host: str) -> str:
    """Where this machine reaches the server itself (health checks, port probes)."""
    return "127.0.0.1" if bind_host in ALL_INTERFACES else bind_host


def find_free_port(host: str = "127.0.0.1") -> int:
    """A port the OS reports free right now (another process may still take it before we bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def served_name(checkpoint: str | Path) -> str:
    """The model id the server is pinned to: the absolute path of a local checkpoint folder."""
    path = Path(checkpoint).expanduser()
    return str(path.resolve()) if path.exists() else str(checkpoint)


def _serve_command(model: str, host: str, port: int) -> list[str]:
    # `transformers serve` is a Typer app; its first positional argument pins ("force") the model.
    # serve_child runs it with a watchdog that exits when this process dies (even by SIGKILL).
    return [sys.executable, "-m", "agentmt.models.serve_child", "serve", model, "--host", host, "--port", str(port)]


class _PortTaken(Exception):
    """Another process bound the port between our check and the server's bind."""


class ModelServer:
    """One `transformers serve` child process; `start()` blocks until healthy, `stop()` is idempotent.
    It binds `host`; `base_url` names `advertised_host(host, advertise_host)`."""

    def __init__(
        self,
        checkpoint: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        threads: int | None = None,
        advertise_host: str | None = None,
    ):
        path = Path(checkpoint).expanduser()
        if not path.is_dir():
            raise InputError(
                f"checkpoint folder {checkpoint} does not exist: run `agentmt model convert` or fix the path"
            )
        self.model = served_name(path)
        self.host = host
        self.advertise_host = advertised_host(host, advertise_host)
        self.threads = threads
        self._auto_port = port is None
        self._set_port(port or find_free_port(host))
        self.proc: subprocess.Popen | None = None
        self.log_path: Path | None = None
        self.keep_log = False  # set when a failure message points the user at the log

    def _set_port(self, port: int) -> None:
        self.port = port
        self.base_url = f"http://{self.advertise_host}:{port}/v1"
        self._health_url = f"http://{_local_host(self.host)}:{port}/v1/models"

    def start(self, timeout: float = DEFAULT_STARTUP_TIMEOUT) -> str:
        """Launch and wait until `GET /models` answers; returns the base URL."""
        for attempt in range(3):
            try:
                return self._start_once(timeout)
            except _PortTaken:
                if not self._auto_port or attempt == 2:
                    raise EndpointError(
                        f"port {self.port} on {self.host} is already in use: pick another --port"
                    ) from None
                self._set_port(find_free_port(self.host))  # lost a race for an auto-picked port: pick again
        raise AssertionError("unreachable")

    def _start_once(self, timeout: float) -> str:
        if port_is_open(_local_host(self.host), self.port):
            raise _PortTaken
        env = None
        if self.threads:
            # On shared cores torch's default thread pool oversubscribes and slows ~5x; one fixed
            # count per server (e.g. 1) keeps latency steady.
            env = dict(os.environ, OMP_NUM_THREADS=str(self.threads), MKL_NUM_THREADS=str(self.threads))
        fd, log = tempfile.mkstemp(prefix="agentmt-serve-", suffix=".log")
        self.log_path = Path(log)
        # A new session makes the server a process-group leader, so stop() reaches its children too.
        with os.fdopen(fd, "wb") as log_file:
            self.proc = subprocess.Popen(
                _serve_command(self.model, self.host, self.port),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        atexit.register(self.stop)  # backstop when the interpreter exits without unwinding
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def _wait_healthy(self, timeout: float) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                tail = self.log_tail()
                if "address already in use" in tail.lower():
                    raise _PortTaken
                raise EndpointError(
                    f"model server exited with code {self.proc.returncode} before answering: {tail}"
                )
            try:
                if httpx.get(self._health_url, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass  # not listening yet
            time.sleep(0.5)
        self.keep_log = True
        raise EndpointError(
            f"model server on port {self.port} not healthy after {timeout:.0f}s (log: {self.log_path}); "
            "raise startup_timeout on a slow machine"
        )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n: int = 3) -> str:
        """The last lines of the server's output, joined into one line for error messages."""
        if self.log_path is None or not self.log_path.exists():
            return "no output"
        lines = [ln.strip() for ln in self.log_path.read_text(errors="replace").splitlines() if ln.strip()]
        return " | ".join(lines[-n:]) or "no output"

    def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            self._signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self._signal_group(proc, signal.SIGKILL)
                proc.wait()
        # Children left in the group (none expected) must not outlive the server either.
        self._signal_group(proc, signal.SIGKILL)
        if self.log_path is not None and not self.keep_log:
            self.log_path.unlink(missing_ok=True)
        self.proc = None
        atexit.unregister(self.stop)

    @staticmethod
    def _signal_group(proc: subprocess.Popen, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)


@contextlib.contextmanager
def serve_model(
    checkpoint: str | Path | None = None,
    *,
    port: int | None = None,
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
    threads: int | None = None,
    host: str = "127.0.0.1",
    advertise_host: str | None = None,
) -> Iterator[str]:
    """Serve `checkpoint` (default: the embedded model) and yield its base URL ("http://127.0.0.1:N/v1").

    `threads` fixes the server's CPU thread count (None: torch's default); `host` / `advertise_host`:
    see ModelServer.
    """
    from agentmt.models.checkpoint import resolve_model

    server = ModelServer(resolve_model(str(checkpoint) if checkpoint else None), port=port, threads=threads,
                         host=host, advertise_host=advertise_host)
    try:
        yield server.start(startup_timeout)
    finally:
        server.stop()


def run_model_server(
    checkpoint: str | Path | None = None,
    *,
    port: int | None = None,
    threads: int | None = None,
    on_ready: Callable[[str, str], None] = lambda url, model: None,
) -> int:
    """Serve until Ctrl-C or SIGTERM (returns 0) or until the server dies (raises EndpointError).

    Calls `on_ready(base_url, model)` once the server answers.
    """
    from agentmt.models.checkpoint import resolve_model

    server = ModelServer(resolve_model(str(checkpoint) if checkpoint else None), port=port, threads=threads)
    # `kill PID` (SIGTERM) must stop the server too, not orphan it: unwind as for Ctrl-C.
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        on_ready(server.start(), server.model)
        while server.alive():
            time.sleep(1.0)
        raise EndpointError(f"model server exited with code {server.proc.returncode}: {server.log_tail()}")
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
