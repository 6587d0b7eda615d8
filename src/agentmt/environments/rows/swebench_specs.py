"""The official SWE-bench harness's environment facts for a few repositories, by repo and version.

Source: SWE-bench 4.x, `swebench/harness/constants/python.py` (`MAP_REPO_VERSION_TO_SPECS_PY`:
SPECS_REQUESTS, SPECS_FLASK, SPECS_PYTEST, SPECS_PYLINT; `MAP_REPO_TO_REQS_PATHS`), read at
SWE-bench/SWE-bench 096a15a9. swebench 5.x no longer ships these tables (its task repositories carry
a Dockerfile per instance instead), so the facts agentmt uses are kept here: the Python, the
test-side packages with their pins (`pip_packages`, or `packages` where it names packages), and
whether the harness also installs the repository's own requirement file (`packages:
requirements.txt`; then agentmt keeps the test requirements it reads from the repository, the
pins above winning). `install` and `test_cmd` are agentmt's own. Versions whose spec needs apt
packages (pylint 2.8: libenchant) are left out.
"""

from __future__ import annotations

SOURCE = "swebench 4.x harness/constants/python.py MAP_REPO_VERSION_TO_SPECS_PY"

_REQUESTS_VERSIONS = ["0.7", "0.8", "0.9", "0.11", "0.13", "0.14", "1.1", "1.2", "2.0", "2.2", "2.3", "2.4", "2.5",
                      "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "2.17", "2.18", "2.19", "2.22", "2.25", "2.26",
                      "2.27", "2.31", "3.0"]
_FLASK_2_0 = ["setuptools==70.0.0", "Werkzeug==2.3.7", "Jinja2==3.0.1", "itsdangerous==2.1.2", "click==8.0.1",
              "MarkupSafe==2.1.3"]
_FLASK_2_1 = ["setuptools==70.0.0", "click==8.1.3", "itsdangerous==2.1.2", "Jinja2==3.1.2",
              "MarkupSafe==2.1.1", "Werkzeug==2.3.7"]
# pytest's own repository: the harness installs these pins and the project, nothing from its extras
_PYTEST_PINS = {
    "4.4": ["atomicwrites==1.4.1", "attrs==23.1.0", "more-itertools==10.1.0", "pluggy==0.13.1", "py==1.11.0",
            "setuptools==68.0.0", "six==1.16.0"],
    "4.5": ["atomicwrites==1.4.1", "attrs==23.1.0", "more-itertools==10.1.0", "pluggy==0.11.0", "py==1.11.0",
            "setuptools==68.0.0", "six==1.16.0", "wcwidth==0.2.6"],
    "4.6": ["atomicwrites==1.4.1", "attrs==23.1.0", "more-itertools==10.1.0", "packaging==23.1", "pluggy==0.13.1",
            "py==1.11.0", "six==1.16.0", "wcwidth==0.2.6"],
    **{v: ["atomicwrites==1.4.1", "attrs==23.1.0", "more-itertools==10.1.0", "packaging==23.1", "pluggy==0.13.1",
           "py==1.11.0", "wcwidth==0.2.6"] for v in ("5.0", "5.1", "5.2")},
    "5.3": ["attrs==23.1.0", "more-itertools==10.1.0", "packaging==23.1", "pluggy==0.13.1", "py==1.11.0",
            "wcwidth==0.2.6"],
    "5.4": ["py==1.11.0", "packaging==23.1", "attrs==23.1.0", "more-itertools==10.1.0", "pluggy==0.13.1"],
    "6.0": ["attrs==23.1.0", "iniconfig==2.0.0", "more-itertools==10.1.0", "packaging==23.1", "pluggy==0.13.1",
            "py==1.11.0", "toml==0.10.2"],
    **{v: ["attrs==23.1.0", "iniconfig==2.0.0", "packaging==23.1", "pluggy==0.13.1", "py==1.11.0", "toml==0.10.2"]
       for v in ("6.2", "6.3")},
    "7.0": ["attrs==23.1.0", "iniconfig==2.0.0", "packaging==23.1", "pluggy==0.13.1", "py==1.11.0"],
    **{v: ["attrs==23.1.0", "iniconfig==2.0.0", "packaging==23.1", "pluggy==0.13.1", "py==1.11.0", "tomli==2.0.1"]
       for v in ("7.1", "7.2")},
    **{v: ["iniconfig==2.0.0", "packaging==23.1", "pluggy==1.3.0", "exceptiongroup==1.1.3", "tomli==2.0.1"]
       for v in ("7.4", "8.0", "8.1", "8.2", "8.3", "8.4")},
}
_PYLINT_VERSIONS = ["2.9", "2.10", "2.11", "2.13", "2.14", "2.15", "2.16", "2.17"]

# (repo, version) -> {"python": X.Y, "packages": [...], "repo_test_requirements": bool}; `packages`
# are installed with the tests; `repo_test_requirements`: the repository's requirement file too
SPECS: dict[tuple[str, str], dict] = {
    **{("psf/requests", v): {"python": "3.9", "packages": ["pytest"]} for v in _REQUESTS_VERSIONS},
    ("pallets/flask", "2.0"): {"python": "3.9", "packages": _FLASK_2_0, "repo_test_requirements": True},
    **{("pallets/flask", v): {"python": "3.10" if v == "2.1" else "3.11", "packages": _FLASK_2_1,
                              "repo_test_requirements": True} for v in ("2.1", "2.2", "2.3", "3.0", "3.1")},
    **{("pytest-dev/pytest", v): {"python": "3.9", "packages": pins} for v, pins in _PYTEST_PINS.items()},
    **{("pylint-dev/pylint", v): {"python": "3.9", "packages": [], "repo_test_requirements": True}
       for v in _PYLINT_VERSIONS},
    **{("pylint-dev/pylint", v): {"python": "3.9", "packages": ["astroid==3.0.0a6", "setuptools"],
                                  "repo_test_requirements": True} for v in ("3.0", "3.1", "3.2", "3.3", "4.0")},
}


def lookup(repo: str, version: str) -> dict | None:
    """The harness's facts for `repo` at `version`, None when the table has none."""
    return SPECS.get((repo, str(version)))
