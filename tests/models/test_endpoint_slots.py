"""The per-endpoint cap on model requests (`EndpointSlots`) across processes; a server other nodes reach."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentmt.models.server import ModelServer, advertised_host, serve_model, served_name
from agentmt.models.slots import EndpointSlots

# one process: hold a slot of ENDPOINT for HOLD_S seconds, `rounds` times; print (enter, exit) times
HOLDER = """
import json, sys, time
from agentmt.models.slots import EndpointSlots
root, slots, hold_s, rounds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
s = EndpointSlots("http://node-a:8000/v1", slots, root)
spans = []
for _ in range(rounds):
    with s.hold():
        start = time.time(); print("held", flush=True); time.sleep(hold_s); spans.append((start, time.time()))
print(json.dumps(spans), flush=True)
"""


def _holders(root: Path, slots: int, n: int = 2, hold_s: float = 0.4, rounds: int = 2) -> list[tuple]:
    procs = [subprocess.Popen([sys.executable, "-c", HOLDER, str(root), str(slots), str(hold_s), str(rounds)],
                              stdout=subprocess.PIPE, text=True) for _ in range(n)]
    spans = []
    for p in procs:
        out, _ = p.communicate(timeout=60)
        assert p.returncode == 0
        spans += [tuple(s) for s in json.loads(out.splitlines()[-1])]
    return sorted(spans)


def _max_overlap(spans: list[tuple[float, float]]) -> int:
    events = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    level = peak = 0
    for _, d in events:
        level += d
        peak = max(peak, level)
    return peak


def test_one_slot_serialises_requests_of_two_processes(tmp_path):
    spans = _holders(tmp_path, slots=1)
    assert len(spans) == 4 and _max_overlap(spans) == 1


def test_two_slots_let_two_processes_in_at_once(tmp_path):
    spans = _holders(tmp_path, slots=2, rounds=1, hold_s=1.5)
    assert _max_overlap(spans) == 2


def test_a_killed_holder_frees_its_slot(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path), "1", "600", "1"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    slots = EndpointSlots("http://node-a:8000/v1", 1, tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    start = time.monotonic()
    with slots.hold() as index:
        assert index == 0
    assert time.monotonic() - start < 5


def test_endpoints_have_their_own_slots(tmp_path):
    a, b = EndpointSlots("http://a:1/v1", 1, tmp_path), EndpointSlots("http://b:1/v1", 1, tmp_path)
    with a.hold(), b.hold():  # would wait forever if both endpoints shared one slot
        assert a.folder != b.folder


def test_advertised_url_names_a_host_other_nodes_can_resolve(embedded_checkpoint):
    assert advertised_host("127.0.0.1") == "127.0.0.1"
    assert advertised_host("0.0.0.0") == socket.gethostname()
    assert advertised_host("0.0.0.0", "gpu-node-3.cluster") == "gpu-node-3.cluster"
    server = ModelServer(embedded_checkpoint, host="0.0.0.0", port=8123, advertise_host="node-7")
    assert server.base_url == "http://node-7:8123/v1"


def _outside_address() -> str | None:
    """An address of this machine other than loopback (what another node would connect to)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.123", 9))  # no packet is sent: this only picks the outgoing interface
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.mark.slow
def test_server_bound_to_all_interfaces_answers_on_an_outside_address(embedded_checkpoint):
    import httpx

    outside = _outside_address()
    if outside is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    with serve_model(embedded_checkpoint, host="0.0.0.0", advertise_host=outside, startup_timeout=240,
                     threads=1) as url:
        assert url.startswith(f"http://{outside}:")
        models = httpx.get(f"{url}/models", timeout=30).json()["data"]
        assert models[0]["id"] == served_name(embedded_checkpoint)
