"""Task images through a registry: `env build -c registry=...` pushes each task image and records its digest;
on a daemon that has none of them (a second, empty dockerd) validation and gold rollouts pull those digests
and give what they gave where the images were built. A digest that does not match is a clear error; image
locks are the daemon's; prune removes only this home's own images."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import localnodes  # tests/localnodes.py
import pytest

from agentmt.environments import base, dockerapi, images
from agentmt.environments.registry import IMAGE_UNAVAILABLE, ImageUnavailable, ensure_image
from agentmt.errors import InfrastructureError

needs_dockerd = pytest.mark.skipif(shutil.which("dockerd") is None or os.geteuid() != 0,
                                   reason="a second Docker daemon needs dockerd and root")
TEST_DURATION = re.compile(r"\bin \d+(?:\.\d+)?s\b")  # pytest's run time, in graded observations


@pytest.fixture(scope="module")
def pushed(docker_daemon, local_registry, tmp_path_factory):
    """(root, registry prefix) of two demo bug-fix tasks built with push and validated on this daemon."""
    from agentmt.environments.demo import build_demo_tasks
    from agentmt.sources.demo import build_demo

    root = tmp_path_factory.mktemp("registry")
    prefix = f"{local_registry}/agentmt"
    bugfix = build_demo(root / "demo").bugfix_prs[:2]
    info = build_demo_tasks(root, "runs=1", f"registry={prefix}", only_prs=bugfix)
    assert info["validated"] == 2, info["drops"]
    return root, prefix


def _outcome(traj) -> dict:
    """A trajectory without what measures time or names the machine."""
    d = traj.to_dict()
    for key in ("timings", "node", "steps"):
        d.pop(key)
    return json.loads(TEST_DURATION.sub("in Xs", json.dumps(d, sort_keys=True)))


def _rollouts(tasks, out) -> list[dict]:
    from agentmt.rollouts.records import read_trajectories
    from agentmt.rollouts.stage import run_rollouts

    run_rollouts(tasks, out, "model=gold")
    return sorted((_outcome(t) for t in read_trajectories(out)), key=lambda d: d["id"])


@pytest.mark.docker
@needs_dockerd
@pytest.mark.timeout(900)
def test_validate_and_rollouts_from_the_digests_alone_equal_the_building_daemon(pushed, monkeypatch):
    from agentmt.environments.stages import validate_envs
    from agentmt.environments.tasks import read_tasks

    root, prefix = pushed
    built = list(read_tasks(root / "built"))
    for task in built:
        image = task.validation["image"]
        assert re.fullmatch(re.escape(prefix) + r"/agentmt-task@sha256:[0-9a-f]{64}", image["ref"]), image
        assert image["pushed"]["registry"] == prefix
        assert not dockerapi.image_exists(f"{prefix}/{image['tag']}")  # the push's own tag is not left behind
    here = _rollouts(root / "validated", root / "rollouts-here")
    with localnodes.second_dockerd() as url:
        monkeypatch.setenv("DOCKER_HOST", url)  # an empty daemon: every image must come from the registry
        assert not any(dockerapi.image_exists(t.validation["image"]["tag"]) for t in built)
        validate_envs(root / "built", root / "validated-there", "runs=1")
        for task in built:  # pulled by digest, tagged as built, the same image id
            assert dockerapi.image_id(task.validation["image"]["tag"]) == task.validation["image"]["id"]
            dockerapi.remove(task.validation["image"]["tag"])  # the rollouts pull them again
        there = _rollouts(root / "validated-there", root / "rollouts-there")
    ran_here = {t.instance_id: t for t in read_tasks(root / "validated")}
    ran_there = {t.instance_id: t for t in read_tasks(root / "validated-there")}
    assert ran_here.keys() == ran_there.keys() == {t.instance_id for t in built}
    for iid, task in ran_here.items():
        assert (task.FAIL_TO_PASS, task.PASS_TO_PASS) == (ran_there[iid].FAIL_TO_PASS, ran_there[iid].PASS_TO_PASS)
    assert there == here and all(t["resolved"] for t in here)


@pytest.mark.docker
def test_a_digest_that_does_not_match_is_a_clear_error_never_a_rebuild(pushed, tmp_path):
    from agentmt.environments.stages import validate_envs
    from agentmt.environments.tasks import read_tasks, write_tasks_jsonl
    from agentmt.rollouts.config import RolloutConfig
    from agentmt.rollouts.items import WorkItem
    from agentmt.rollouts.run import ENVIRONMENT_ERROR, run_item

    root, prefix = pushed
    task = next(read_tasks(root / "built"))
    image = task.validation["image"]
    # the local image is not the one built and pushed
    other = type(task).from_dict(task.to_dict())
    other.validation["image"]["id"] = "sha256:" + "0" * 64
    with pytest.raises(ImageUnavailable, match=r"on this daemon is sha256:.*remove the local image"):
        ensure_image(other)
    # the image is not here and the registry does not serve the digest
    gone = type(task).from_dict(task.to_dict())
    gone.instance_id = "demo__gone-1"
    gone.validation["image"].update(tag=image["tag"] + "-gone", ref=image["ref"].split("@")[0] + "@sha256:" + "1" * 64)
    with pytest.raises(ImageUnavailable, match=r"demo__gone-1: pull .* failed: .*rebuild and push"):
        ensure_image(gone)
    assert not dockerapi.image_exists(gone.validation["image"]["tag"])  # nothing was built in its place
    down = type(gone).from_dict(gone.to_dict())  # a registry that does not answer: retried, not dropped for good
    down.validation["image"]["ref"] = f"127.0.0.1:{localnodes.free_port()}/agentmt/agentmt-task@sha256:" + "1" * 64
    with pytest.raises(InfrastructureError) as info:
        ensure_image(down)
    assert not isinstance(info.value, ImageUnavailable)
    write_tasks_jsonl([gone], tmp_path / "gone.jsonl")
    manifest = validate_envs(tmp_path / "gone.jsonl", tmp_path / "validated", "runs=1")
    assert manifest.drops == {IMAGE_UNAVAILABLE: 1}
    failed = next(read_tasks(tmp_path / "validated" / "failed" / "tasks.jsonl"))
    assert failed.validation["drop"]["reason"] == IMAGE_UNAVAILABLE
    assert "no longer serves it" in failed.validation["drop"]["detail"]
    traj = run_item(WorkItem(task=gone, run_index=0), _NoModel(), {}, RolloutConfig(grade=False))
    assert traj.exit_status == ENVIRONMENT_ERROR and "rebuild and push" in traj.report["error"]


class _NoModel:
    """The rollout never reaches the model: its image cannot be had."""

    name, server, sampling = "none", "", {}


_TRY_LOCK = "import fcntl, sys; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)"


@pytest.mark.docker
def test_image_locks_are_the_daemons_and_prune_takes_only_this_homes_images(docker_daemon, tmp_path, monkeypatch):
    tag = "agentmt-base:lock-per-daemon"
    monkeypatch.setenv("AGENTMT_HOME", str(tmp_path / "home-a"))
    lock_a = base.image_lock_path(tag)
    monkeypatch.setenv("AGENTMT_HOME", str(tmp_path / "home-b"))
    assert base.image_lock_path(tag) == lock_a and re.sub(r"[^\w.-]", "_", dockerapi.daemon_id()) in str(lock_a)
    with base.image_lock(tag):  # held by a run with home B: a run with home A waits for it
        env = {**os.environ, "AGENTMT_HOME": str(tmp_path / "home-a")}
        held = subprocess.run([sys.executable, "-c", _TRY_LOCK, str(lock_a)], env=env, check=False)
        assert held.returncode != 0

    # one image built by each home; home A used both, and prunes to none of its own
    base.ensure_base_image()
    tags = {h: f"{images.TASK_REPOSITORY}:prune-test-{h}" for h in ("a", "b")}
    try:
        for h in ("b", "a"):
            monkeypatch.setenv("AGENTMT_HOME", str(tmp_path / f"home-{h}"))
            (tmp_path / "Dockerfile").write_text(f"FROM {base.base_tag()}\nLABEL agentmt.test=prune-{h}\n")
            images.docker_build(tmp_path, tags[h], network_host=False)
        assert dockerapi.image_labels(tags["b"])[images.HOME_LABEL] != images.home_label()
        images.touch_image(tags["b"])
        images.touch_image(tags["a"])
        assert images.prune_images(max_task_images=0, max_env_images=10) == [tags["a"]]
        assert not dockerapi.image_exists(tags["a"]) and dockerapi.image_exists(tags["b"])
    finally:
        for t in tags.values():
            dockerapi.remove(t)


@pytest.mark.parametrize("tag, pushed_as", [
    ("agentmt-task:demo-1-abc", "agentmt-task:demo-1-abc"),
    ("127.0.0.1:5000/agentmt/calc:1", "agentmt/calc:1"),  # a row's prebuilt image keeps no other registry's host
    ("docker.io/swerebench/x", "swerebench/x:latest"),
    ("localhost/a/b@sha256:" + "a" * 64, "a/b:" + "a" * 32),  # a digest is no tag: its hex becomes one
])
def test_the_pushed_name_is_a_tag_under_the_registry(tag, pushed_as):
    from agentmt.environments.registry import push_name

    assert push_name(tag) == pushed_as
