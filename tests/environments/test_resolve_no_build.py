"""Resolution on the host never runs a package's setup.py: an sdist whose metadata needs a build is left
to the env layer's (containerised) pip, and the marker its setup.py would write never appears."""

from __future__ import annotations

import tarfile

import pytest

from agentmt.environments.resolve import ResolutionFailed, resolve_lock, uv_binary, uv_refused

pytestmark = pytest.mark.skipif(uv_binary() is None, reason="needs uv")

SETUP = """import pathlib
pathlib.Path({marker!r}).write_text("setup.py ran here")
from setuptools import setup
setup(name="markerpkg", version="1.0")
"""


def _sdist(folder, marker):
    """A setup.py-only sdist (metadata 2.1: a resolver must build it to learn its dependencies)."""
    src = folder / "src" / "markerpkg-1.0"
    src.mkdir(parents=True)
    (src / "setup.py").write_text(SETUP.format(marker=str(marker)))
    (src / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: markerpkg\nVersion: 1.0\n")
    links = folder / "links"
    links.mkdir()
    with tarfile.open(links / "markerpkg-1.0.tar.gz", "w:gz") as tar:
        tar.add(src, arcname=src.name)
    return links


def test_a_package_needing_a_build_is_not_built_on_the_host(tmp_path, monkeypatch):
    marker = tmp_path / "MARKER"
    monkeypatch.setenv("UV_FIND_LINKS", str(_sdist(tmp_path, marker)))
    monkeypatch.setenv("UV_NO_INDEX", "1")  # the local folder is the whole index: no registry needed
    with pytest.raises(ResolutionFailed) as e:
        resolve_lock(["markerpkg"], "3.11", None)
    assert uv_refused(str(e.value)), str(e.value)  # → resolved by pip inside the env layer's build
    assert not marker.exists()

