"""A long-lived `container_tools.py serve` process per task container, spoken to over one exec's stdin/stdout.

Why: a fresh `docker exec` plus a Python start costs ~150 ms a call on a busy 2-core host; one
attached process makes a step cost a socket round trip (benchmarks/bench_scaffold.py). Contract:
`request()` returns the tool's result dict, or None when the process died or went silent past the
deadline (the caller then checks the container and restarts the server on the next call).
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import struct
import time
from typing import Any

STDOUT = 1


class ToolServer:
    def __init__(self, container, command: list[str]):
        api = container.client.api
        exec_id = api.exec_create(container.id, command, stdin=True, stdout=True, stderr=True, workdir="/")["Id"]
        raw = api.exec_start(exec_id, socket=True)
        self._sock: socket.socket = getattr(raw, "_sock", raw)  # docker-py hands back a SocketIO on unix sockets
        self._buf = b""  # stdout bytes received and not yet consumed
        self._pending = b""  # frame bytes received and not yet demultiplexed
        self.stderr = b""

    def request(self, payload: dict[str, Any], timeout_s: float) -> dict[str, Any] | None:
        line = base64.b64encode(json.dumps(payload).encode()) + b"\n"
        deadline = time.monotonic() + timeout_s
        try:
            self._sock.settimeout(timeout_s)
            self._sock.sendall(line)
            while b"\n" not in self._buf:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._sock.settimeout(remaining)
                data = self._sock.recv(1 << 16)
                if not data:
                    return None
                self._demux(data)
        except OSError:  # timeout, reset, broken pipe: the server is gone or stuck
            return None
        answer, self._buf = self._buf.split(b"\n", 1)
        try:
            return json.loads(base64.b64decode(answer))
        except ValueError:  # a garbled answer: treat the server as broken
            return None

    def _demux(self, data: bytes) -> None:
        """Docker multiplexes stdout/stderr in frames: 1 byte stream, 3 pad, 4 bytes big-endian length."""
        self._pending += data
        while len(self._pending) >= 8:
            stream, size = struct.unpack(">BxxxL", self._pending[:8])
            if len(self._pending) < 8 + size:
                break
            frame, self._pending = self._pending[8:8 + size], self._pending[8 + size:]
            if stream == STDOUT:
                self._buf += frame
            else:
                self.stderr = (self.stderr + frame)[-4000:]

    def close(self) -> None:
        """Closing stdin ends the server's read loop; the socket goes with it."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_WR)
        with contextlib.suppress(OSError):
            self._sock.close()
