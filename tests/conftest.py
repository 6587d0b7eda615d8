"""Shared fixtures: real components only (a real git, Docker daemon, model checkpoint)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Keep the model and base-image caches in the checkout (ignored by git) unless told otherwise,
# so every test session reuses one converted checkpoint.
os.environ.setdefault("AGENTMT_HOME", str(ROOT / ".agentmt"))


@pytest.fixture(scope="session")
def embedded_checkpoint() -> Path:
    from agentmt.models.checkpoint import ensure_embedded_checkpoint

    return ensure_embedded_checkpoint()


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@pytest.fixture(scope="session")
def docker_daemon() -> None:
    """Docker tests run in CI (which starts the daemon); locally they skip when none answers."""
    if docker_available():
        return
    if os.environ.get("CI"):
        pytest.fail("no Docker daemon answers in CI: .ci/run must install and start it")
    pytest.skip("no Docker daemon (run `make docker`)")
