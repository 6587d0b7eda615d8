"""The registry probe: one whole-line note per machine and hour, however many processes ask."""

from __future__ import annotations

import pytest

from agentmt.environments import base

pytestmark = pytest.mark.docker


def test_an_unreachable_registry_is_noted_once_with_dockers_whole_line(docker_daemon, tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTMT_HOME", str(tmp_path))
    monkeypatch.setattr(base, "PROBE_IMAGE", "agentmt.invalid/none:0")  # a host no resolver knows
    notes: list[str] = []
    for _ in range(3):  # three processes of one pipeline run: each starts with an empty memo
        monkeypatch.setattr(base, "_REGISTRY", [])
        assert base.registry_answers(log=notes.append) is False
    assert len(notes) == 1, notes
    assert notes[0].startswith("base image: no registry image agentmt.invalid/none:0 (")
    assert "agentmt.invalid" in notes[0].split("(", 1)[1] and notes[0].endswith("); using the offline Debian bases")
    monkeypatch.setattr(base, "PROBE_TTL_S", 0)  # an old answer is asked again
    monkeypatch.setattr(base, "_REGISTRY", [])
    base.registry_answers(log=notes.append)
    assert len(notes) == 2
