"""A dependency whose era release has no wheel for the interpreter, and whose sdist no longer builds
there, moves forward to its oldest release with a wheel for it; the move is recorded in the lock."""

from __future__ import annotations

import pytest

from agentmt.environments.resolve import uv_binary
from agentmt.environments.wheels import (
    failed_builds,
    forward_cutoff,
    index_files,
    move_forward,
    release_as_of,
)
from agentmt.types import TaskInstance


def _wheel(name: str, uploaded: str) -> dict:
    return {"filename": name, "upload-time": uploaded, "yanked": False}


# the shape of PyPI's JSON simple API (PEP 691): the fields that matter, contents small
FILES = (
    _wheel("fastlib-1.0-cp37-cp37m-manylinux1_x86_64.whl", "2019-07-01T00:00:00Z"),
    _wheel("fastlib-1.0-cp37-cp37m-win_amd64.whl", "2019-07-01T00:00:00Z"),
    {"filename": "fastlib-1.0.tar.gz", "upload-time": "2019-07-01T00:00:00Z"},
    _wheel("fastlib-1.1-cp38-cp38-manylinux2014_x86_64.whl", "2020-01-01T00:00:00Z"),
    _wheel("fastlib-2.0rc1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "2022-09-01T00:00:00Z"),
    _wheel("fastlib-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "2022-10-01T12:00:00.123Z"),
    _wheel("fastlib-2.0-cp312-cp312-manylinux_2_17_x86_64.whl", "2023-10-01T00:00:00Z"),
    _wheel("fastlib-2.1-cp311-cp311-manylinux_2_28_x86_64.whl", "2023-01-01T00:00:00Z"),
)


def test_the_oldest_later_release_with_a_wheel_for_the_interpreter_is_chosen():
    # 1.0 has Linux wheels for 3.7 only: 2.0 (not the release candidate) is the first with a cp311 one
    assert forward_cutoff(FILES, "1.0", "3.11") == "2022-10-01T12:00:01Z"
    assert forward_cutoff(FILES, "1.1", "3.8") is None  # it has a wheel for 3.8: nothing to move
    assert forward_cutoff(FILES, "2.0", "3.11") is None
    assert forward_cutoff(FILES, "1.0", "3.13") is None  # no later release fits either: the failure stands
    assert forward_cutoff(FILES, "1.0", "3.7") is None
    pure = (_wheel("purelib-1.0-py2.py3-none-any.whl", "2019-01-01T00:00:00Z"),
            {"filename": "purelib-0.9.tar.gz", "upload-time": "2018-01-01T00:00:00Z"})
    assert forward_cutoff(pure, "0.9", "3.11") is None  # an sdist-only release has no binaries to move to


def test_failed_sdist_builds_are_read_from_uv_and_pip():
    log = ("  × Failed to build `numpy==1.17.1`\n  ├─▶ The build backend returned an error\n"
           "  ERROR: Failed building wheel for scipy\n  Failed to build `numpy==1.17.1`\n")
    assert failed_builds(log) == ["numpy", "scipy"]
    assert failed_builds("error: no space left on device") == []
    # pip 25's words (anyio 2019 and tqdm 2020 on Python 3.9)
    pip = ("  ERROR: Failed to build 'coverage' when getting requirements to build wheel\n"
           "× Failed to build installable wheels for some pyproject.toml based projects\n╰─> uvloop, yarl\n"
           "× Encountered error while generating package metadata.\n╰─> numpy\n")
    assert failed_builds(pip) == ["coverage", "uvloop", "yarl", "numpy"]


def test_the_release_pip_picks_as_of_a_date():
    assert release_as_of(FILES, "2019-12-01T00:00:00Z") == "1.0"
    assert release_as_of(FILES, "2022-09-15T00:00:00Z") == "1.1"  # 2.0rc1 is a pre-release
    assert release_as_of(FILES, "2019-01-01T00:00:00Z") is None


@pytest.mark.skipif(uv_binary() is None, reason="needs uv")
def test_numpy_of_2019_moves_to_its_first_release_with_a_wheel_for_python_3_11():
    """numpy 1.17 (mid-2019) ships manylinux wheels up to cp37; its sdist does not build on 3.11.
    After a failed build it moves to 1.23.2, the first numpy with a cp311 wheel; six stays in 2019."""
    task = TaskInstance("o__r-1", "o/r", "0" * 40, "", "", "", install={
        "python": "3.11", "pin_date": "2019-09-01T00:00:00Z", "dependencies": ["numpy", "six"],
        "test_dependencies": [], "build_dependencies": ["setuptools"], "lock_source": "resolved",
        "lock": ["numpy==1.17.1", "setuptools==41.2.0", "six==1.12.0", "wheel==0.33.6"]})
    assert move_forward(task, "  × Failed to build `numpy==1.17.1`\n")
    r = task.install
    assert "numpy==1.23.2" in r["lock"] and "six==1.12.0" in r["lock"]
    assert r["pin_forward"] == {"numpy": r["pin_exempt"][-1].split("=", 1)[1]}
    assert r["pin_exempt"][-1].startswith("numpy=2022-08-")
    # a second failure of the same package does not move it again: the failure then stands
    assert not move_forward(task, "  × Failed to build `numpy==1.23.2`\n")


def test_where_pip_resolves_in_the_image_the_failed_build_moves_as_a_floor():
    """anyio 2019 on Python 3.9 (uv refused its set, pip resolves in the image): uvloop 0.12.2, pip's
    choice as of the date, has wheels up to cp37 only and fails to compile; it gets a floor at its
    first release with a cp39 wheel, which the env layer installs before the rest."""
    task = TaskInstance("o__r-2", "o/r", "0" * 40, "", "", "", install={
        "python": "3.9", "pin_date": "2019-08-07T11:36:13Z", "resolver": "pip",
        "pin_floors": {"setuptools": "2020-10-05T00:00:00Z"}, "dependencies": ["uvloop"]})
    assert move_forward(task, "× Failed to build installable wheels for some pyproject.toml based projects\n╰─> uvloop\n")
    r = task.install
    assert set(r["pin_floors"]) == {"setuptools", "uvloop"} and r["pin_forward"] == {"uvloop": r["pin_floors"]["uvloop"]}
    assert release_as_of(index_files("uvloop"), r["pin_floors"]["uvloop"]).startswith("0.15")
    assert not move_forward(task, "ERROR: Failed building wheel for uvloop\n")  # moved once: the failure stands
    # no file at all as of the date for 3.9 (tensorflow 2.1 has wheels up to cp37): the same move
    assert move_forward(task, "ERROR: No matching distribution found for tensorflow\n")
    assert release_as_of(index_files("tensorflow"), task.install["pin_floors"]["tensorflow"]).startswith("2.5")
