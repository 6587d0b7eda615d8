"""Rows that ship their own environment: a Dockerfile and an eval script, maybe a prebuilt image
(OpenSWE / daVinci-Env, Scale-SWE, a swebench 5.x task repository's instances). Their columns vary
by release; `DOCKERFILE_KEYS`, `EVAL_KEYS` and `IMAGE_KEYS` list the names read, first found wins."""

from __future__ import annotations

from agentmt.types import TaskInstance

NAME = "docker-rows"
DOCKERFILE_KEYS = ("dockerfile", "Dockerfile", "docker_file")
EVAL_KEYS = ("eval_script", "eval_sh", "eval.sh", "test_script")
IMAGE_KEYS = ("image_url", "image_name", "docker_image", "image")


def first(row: dict, keys: tuple[str, ...]) -> str:
    """The first non-empty value among `keys` ("" when none)."""
    return next((str(row[k]) for k in keys if row.get(k)), "")


def matches(row: dict) -> bool:
    return "instance_id" in row and bool(first(row, DOCKERFILE_KEYS)) and bool(first(row, EVAL_KEYS))


def to_task(row: dict) -> TaskInstance:
    from agentmt.environments.rows import BadRow, base_task, require

    require(row, "patch")
    if not first(row, DOCKERFILE_KEYS):
        raise BadRow("missing_dockerfile")
    if not first(row, EVAL_KEYS):
        raise BadRow("missing_eval_script")
    return base_task({"test_patch": "", "problem_statement": "", **row})
