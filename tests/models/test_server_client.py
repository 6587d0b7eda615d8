"""The local model server (real `transformers serve`, real embedded model) and the chat client."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_endpoint import FakeEndpoint, chat_answer

from agentmt.errors import EndpointError
from agentmt.models.client import ChatClient
from agentmt.models.server import find_free_port, port_is_open, serve_model, served_name


def _server_pids(port: int) -> list[int]:
    """Processes whose command line serves on `port` (the launcher passes `--port N`)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in args and b"--port" in args and str(port).encode() in args:
            pids.append(int(proc.name))
    return pids


@pytest.mark.slow
def test_serve_model_answers_then_stops_on_interrupt(embedded_checkpoint):
    port = find_free_port()
    # Ctrl-C inside the block must still stop the server.
    with (
        pytest.raises(KeyboardInterrupt),
        serve_model(embedded_checkpoint, port=port, startup_timeout=240, threads=1) as url,
    ):
        assert url == f"http://127.0.0.1:{port}/v1"
        assert _server_pids(port)
        with ChatClient(url, timeout=120) as client:
            assert client.list_models() == [served_name(embedded_checkpoint)]
            text = client.complete([{"role": "user", "content": "Say hello."}], max_tokens=8, temperature=0)
            assert isinstance(text, str) and text.strip()
            # The server is pinned: naming its model works, naming another is a one-line error.
            named = ChatClient(url, served_name(embedded_checkpoint), timeout=120)
            assert named.complete([{"role": "user", "content": "Hi"}], max_tokens=4).strip()
            with pytest.raises(EndpointError, match="HTTP 400") as err:
                ChatClient(url, "other-model", retries=0).complete([{"role": "user", "content": "x"}])
            assert "\n" not in str(err.value)
        raise KeyboardInterrupt
    assert not port_is_open("127.0.0.1", port)
    assert _server_pids(port) == []


def _start_cli_server(checkpoint):
    port = find_free_port()
    env = dict(os.environ, AGENTMT_HOME=str(checkpoint.parents[1]))
    cli = [sys.executable, "-m", "agentmt.cli.main", "model", "serve", str(checkpoint),
           "--port", str(port), "--threads", "1"]
    proc = subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "base_url:" in line or not line:
            break
    assert f"http://127.0.0.1:{port}/v1" in "".join(lines), lines
    assert port_is_open("127.0.0.1", port)
    return proc, port


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_cli_serve_leaves_no_server_when_stopped_or_killed(embedded_checkpoint, sig):
    proc, port = _start_cli_server(embedded_checkpoint)
    try:
        proc.send_signal(sig)
        code = proc.wait(timeout=30)
        assert code == (0 if sig == signal.SIGTERM else -signal.SIGKILL)
        # After SIGKILL nothing in the parent runs: the server's own watchdog must notice.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (port_is_open("127.0.0.1", port) or _server_pids(port)):
            time.sleep(0.5)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not port_is_open("127.0.0.1", port)
    assert _server_pids(port) == []


def test_unreachable_endpoint_is_one_line_error():
    url = f"http://127.0.0.1:{find_free_port()}/v1"
    client = ChatClient(url, "m", retries=1, backoff=0.01, timeout=5)
    with pytest.raises(EndpointError) as err:
        client.complete([{"role": "user", "content": "hi"}])
    message = str(err.value)
    assert "\n" not in message
    assert f"{url}/chat/completions" in message and "check" in message
    with pytest.raises(EndpointError, match="cannot reach"):
        client.check()


def test_client_retries_429_and_5xx_then_succeeds():
    script = [(429, {"error": "slow down"}), (503, {"error": "busy"}), (200, chat_answer("done"))]
    with FakeEndpoint(script) as fake:
        client = ChatClient(fake.base_url, "m", api_key="k", retries=2, backoff=0.01)
        assert client.complete([{"role": "user", "content": "hi"}], max_tokens=5) == "done"
    assert len(fake.posts) == 3
    assert fake.posts[0]["model"] == "m" and fake.posts[0]["max_tokens"] == 5


def test_client_gives_up_after_retries_and_does_not_retry_4xx():
    with FakeEndpoint([(500, {"error": "boom"})]) as fake:
        with pytest.raises(EndpointError, match=r"HTTP 500 \(gave up after 3 attempts\)"):
            ChatClient(fake.base_url, retries=2, backoff=0.01).complete([{"role": "user", "content": "x"}])
        assert len(fake.posts) == 3
        assert "model" not in fake.posts[0]  # model=None leaves the choice to a pinned server
    with FakeEndpoint([(401, {"error": "bad key"})]) as fake:
        with pytest.raises(EndpointError, match="api_key"):
            ChatClient(fake.base_url, retries=3, backoff=0.01).complete([{"role": "user", "content": "x"}])
        assert len(fake.posts) == 1


def test_busy_port_and_missing_checkpoint_are_one_line_errors(embedded_checkpoint, tmp_path):
    from agentmt.errors import InputError
    from agentmt.models.server import ModelServer

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(EndpointError, match=f"port {port} .* already in use"):
            ModelServer(embedded_checkpoint, port=port).start(timeout=5)
        assert len(_server_pids(port)) == 0
    with pytest.raises(InputError, match="agentmt model convert"):
        ModelServer(tmp_path / "nope")


def test_cli_convert_prints_the_checkpoint(embedded_checkpoint):
    from typer.testing import CliRunner

    from agentmt.cli.main import app

    result = CliRunner().invoke(app, ["model", "convert"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(embedded_checkpoint)
