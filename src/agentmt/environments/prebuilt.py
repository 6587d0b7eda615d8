"""A row's prebuilt task image: pulled with the docker SDK when a registry answers, checked to hold
the repository at /testbed at the task's base commit, tagged as an agentmt task image.

`pull_task_image` returns the local tag or raises `PrebuiltUnavailable` whose message is the reason
recorded when the build falls back to another source.
"""

from __future__ import annotations

from agentmt.environments import dockerapi
from agentmt.errors import AgentmtError
from agentmt.types import TaskInstance

class PrebuiltUnavailable(AgentmtError):
    """The row's image could not be had or is not a task image (the message says why)."""


def pull(ref: str) -> str:
    """Pull `ref` (the daemon's registries, loopback ones without TLS); returns its image id."""
    try:
        return dockerapi.pull(ref)
    except dockerapi.DockerCallError as e:
        raise PrebuiltUnavailable(str(e)) from e


def check_testbed(ref: str, base_commit: str) -> None:
    """PrebuiltUnavailable unless /testbed in `ref` is a git checkout that holds `base_commit`."""
    try:
        code, out = dockerapi.run_read(ref, "git", ["-C", "/testbed", "cat-file", "-e", f"{base_commit}^{{commit}}"])
    except dockerapi.DockerCallError as e:  # no git in the image at all
        code, out = 127, str(e)
    if code != 0:
        raise PrebuiltUnavailable(f"{ref} has no git checkout at /testbed holding {base_commit[:12]}: "
                                  f"{out.strip()[:300]}")


def pull_task_image(task: TaskInstance, ref: str) -> str:
    """The pulled image `ref`, checked (check_testbed); returns `ref`."""
    pull(ref)
    check_testbed(ref, task.base_commit)
    return ref
