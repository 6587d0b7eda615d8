"""Fixtures on one validated demo task (`demo_tasks` is shared: tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def task(demo_tasks):
    """The truncate() task: textkit/strings.py, tests in tests/test_strings.py."""
    return next(t for t in demo_tasks if "strings.py" in t.patch)


@pytest.fixture
def env(task):
    from agentmt.environments.runtime import DockerEnvironment, RuntimeConfig

    with DockerEnvironment(task.validation["image"]["tag"], RuntimeConfig(memory="512m", timeout_s=120)) as e:
        yield e
