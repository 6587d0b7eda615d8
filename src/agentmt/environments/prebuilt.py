"""A row's prebuilt task image: pulled with the docker SDK when a registry answers, checked to hold
the repository at /testbed at the task's base commit, tagged as an agentmt task image.

`pull_task_image` returns the local tag or raises `PrebuiltUnavailable` whose message is the reason
recorded when the build falls back to another source.
"""

from __future__ import annotations

import subprocess

from agentmt.errors import AgentmtError
from agentmt.types import TaskInstance

PULL_TIMEOUT_S = 600


class PrebuiltUnavailable(AgentmtError):
    """The row's image could not be had or is not a task image (the message says why)."""


def pull(ref: str) -> str:
    """Pull `ref` (the daemon's registries, loopback ones without TLS); returns its image id."""
    import docker
    from docker.errors import DockerException
    from docker.utils import parse_repository_tag

    repository, tag = parse_repository_tag(ref)
    try:
        client = docker.from_env(timeout=PULL_TIMEOUT_S)
        image = client.images.pull(repository, tag=tag or "latest")
    except DockerException as e:
        raise PrebuiltUnavailable(f"pull {ref} failed: {str(e).splitlines()[0][:300]}") from e
    return image.id


def check_testbed(ref: str, base_commit: str) -> None:
    """PrebuiltUnavailable unless /testbed in `ref` is a git checkout that holds `base_commit`."""
    cmd = ["docker", "run", "--rm", "--network", "none", "--entrypoint", "git", ref,
           "-C", "/testbed", "cat-file", "-e", f"{base_commit}^{{commit}}"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if res.returncode != 0:
        raise PrebuiltUnavailable(f"{ref} has no git checkout at /testbed holding {base_commit[:12]}: "
                                  f"{(res.stderr or res.stdout).strip()[:300]}")


def pull_task_image(task: TaskInstance, ref: str) -> str:
    """The pulled image `ref`, checked (check_testbed); returns `ref`."""
    pull(ref)
    check_testbed(ref, task.base_commit)
    return ref
