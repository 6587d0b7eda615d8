"""Base image: reused when present (built offline by debootstrap on a fresh machine), clear error otherwise."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agentmt.environments import base


@pytest.mark.docker
def test_base_image_is_built_once_then_reused(docker_daemon):
    tag = base.ensure_base_image("bookworm")  # on a fresh CI machine this bootstraps it offline
    assert tag == "agentmt-base:bookworm" and base.image_exists(tag)

    def must_not_run(*args, **kwargs):
        raise AssertionError("the tag is the cache: a present base image is neither pulled nor rebuilt")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(base, "_pull_as", must_not_run)
        mp.setattr(base, "build_base_offline", must_not_run)
        assert base.ensure_base_image("bookworm") == tag


def test_missing_debootstrap_is_reported(monkeypatch):
    monkeypatch.setattr(base.shutil, "which", lambda name: None)
    with pytest.raises(base.BaseImageError, match="debootstrap is missing"):
        base.build_base_offline("bookworm", "agentmt-base:never")


_TRY_LOCK = "import fcntl, sys; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)"


@pytest.mark.docker
def test_image_lock_holds_other_processes_off_until_released(docker_daemon):
    tag = "agentmt-base:lock-test"
    with base.image_lock(tag):
        held = subprocess.run([sys.executable, "-c", _TRY_LOCK, str(base.image_lock_path(tag))], check=False)
        assert held.returncode != 0  # BlockingIOError: another worker would wait here
    free = subprocess.run([sys.executable, "-c", _TRY_LOCK, str(base.image_lock_path(tag))], check=False)
    assert free.returncode == 0


def test_a_base_image_another_worker_made_while_we_waited_is_not_made_again(monkeypatch):
    answers = iter([False, True])  # missing at first; present once the lock is ours

    def must_not_run(*args, **kwargs):
        raise AssertionError("the worker that held the lock built it")

    monkeypatch.setattr(base, "image_exists", lambda tag: next(answers))
    monkeypatch.setattr(base, "_pull_as", must_not_run)
    monkeypatch.setattr(base, "build_base_offline", must_not_run)
    assert base.ensure_base_image("bullseye") == "agentmt-base:bullseye"
