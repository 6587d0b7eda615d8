"""Base image: reused when present (built offline by debootstrap on a fresh machine), clear error otherwise."""

from __future__ import annotations

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
