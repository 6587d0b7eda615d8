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
# One Ray auth mode for the whole session. Ray 2.60 caches it per driver process: a test cluster
# started with auth off (a second node cannot join a token-auth head) would otherwise leave this
# process's driver without a token for every later local ray.init, whose GCS then refuses it.
os.environ["RAY_AUTH_MODE"] = "disabled"


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


@pytest.fixture(scope="session")
def demo_task_set(docker_daemon, tmp_path_factory) -> tuple[Path, list]:
    """(validated tasks folder, its tasks) of the demo's bug-fix PRs, built and validated once per
    session with one validation run each (the tests that use them exercise the agent, rollouts and
    evaluation, not flakiness). The demo's other PRs (binary, non-UTF-8, docs-only) only cost time.

    AGENTMT_TEST_DEMO_TASKS=PATH reuses a validated tasks folder or file of an earlier build.
    """
    from agentmt.environments.demo import build_demo_tasks
    from agentmt.environments.tasks import read_tasks
    from agentmt.sources.demo import build_demo

    if os.environ.get("AGENTMT_TEST_DEMO_TASKS"):
        path = Path(os.environ["AGENTMT_TEST_DEMO_TASKS"])
        return path, list(read_tasks(path))
    root = tmp_path_factory.mktemp("demo-tasks")
    bugfix = build_demo(root / "demo").bugfix_prs
    info = build_demo_tasks(root, "runs=1", only_prs=bugfix)
    tasks = list(read_tasks(info["tasks"]))
    assert len(tasks) == len(bugfix), info["drops"]
    return Path(info["tasks"]), tasks


@pytest.fixture(scope="session")
def demo_tasks(demo_task_set) -> list:
    """The validated demo tasks of `demo_task_set`, as a list."""
    return demo_task_set[1]


@pytest.fixture
def two_tasks(demo_tasks, tmp_path) -> Path:
    """A tasks file holding the first two validated demo tasks."""
    from agentmt.environments.tasks import write_tasks_jsonl

    path = tmp_path / "two.jsonl"
    write_tasks_jsonl(demo_tasks[:2], path)
    return path


@pytest.fixture(scope="session")
def local_registry(docker_daemon) -> str:
    """`127.0.0.1:PORT` of a Debian `docker-registry` serving from a temp folder for the session (Docker
    and podman pull from a loopback registry without TLS); skips where the package is not installed."""
    from localnodes import registry  # tests/localnodes.py

    if shutil.which("docker-registry") is None:
        pytest.skip("no docker-registry (apt-get install docker-registry)")
    with registry() as addr:
        yield addr
