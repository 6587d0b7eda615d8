"""SWE-rebench (V1) and SWE-rebench-V2 rows: the SWE-bench columns plus `install_config` (a dict or
its JSON text: python, packages, pip_packages, pre_install, install, test_cmd, reqs_path) and, where
an image was published, `docker_image` (V1) or `image_name` (V2)."""

from __future__ import annotations

import json

from agentmt.types import TaskInstance

NAME = "swe-rebench"


def matches(row: dict) -> bool:
    return "install_config" in row and "instance_id" in row


def to_task(row: dict) -> TaskInstance:
    from agentmt.environments.rows import BadRow, base_task, require

    require(row, "patch", "install_config")
    config = row["install_config"]
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except json.JSONDecodeError as e:
            raise BadRow("malformed_install_config", str(e)[:200]) from e
    if not isinstance(config, dict) or not config.get("test_cmd"):
        raise BadRow("malformed_install_config", "install_config has no test_cmd")
    task = base_task({**row, "install_config": config})
    return task
