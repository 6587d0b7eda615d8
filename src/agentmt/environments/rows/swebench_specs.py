"""The official SWE-bench harness's environment facts for a few repositories, by repo and version.

Source: SWE-bench 4.x, `swebench/harness/constants/python.py` (`MAP_REPO_VERSION_TO_SPECS_PY`:
SPECS_REQUESTS, SPECS_FLASK, SPECS_PYTEST). swebench 5.x no longer ships these tables (its task
repositories carry a Dockerfile per instance instead), so the facts agentmt uses are kept here:
the Python and the test-side packages with their pins. `install` and `test_cmd` are agentmt's own.
"""

from __future__ import annotations

SOURCE = "swebench 4.x harness/constants/python.py MAP_REPO_VERSION_TO_SPECS_PY"

_REQUESTS_VERSIONS = ["0.7", "0.8", "0.9", "0.11", "0.13", "0.14", "1.1", "1.2", "2.0", "2.2", "2.3", "2.4", "2.5",
                      "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "2.17", "2.18", "2.19", "2.22", "2.25", "2.26",
                      "2.27", "2.31", "3.0"]
_FLASK_2_2 = ["setuptools==70.0.0", "click==8.1.3", "itsdangerous==2.1.2", "Jinja2==3.1.2",
              "MarkupSafe==2.1.1", "Werkzeug==2.3.7"]
_PYTEST_7_4 = ["iniconfig==2.0.0", "packaging==23.1", "pluggy==1.3.0", "exceptiongroup==1.1.3", "tomli==2.0.1"]

# (repo, version) -> {"python": X.Y, "packages": [...]}; `packages` are installed with the tests
SPECS: dict[tuple[str, str], dict] = {
    **{("psf/requests", v): {"python": "3.9", "packages": ["pytest"]} for v in _REQUESTS_VERSIONS},
    **{("pallets/flask", v): {"python": "3.11", "packages": _FLASK_2_2} for v in ("2.2", "2.3", "3.0", "3.1")},
    **{("pytest-dev/pytest", v): {"python": "3.9", "packages": _PYTEST_7_4}
       for v in ("7.4", "8.0", "8.1", "8.2", "8.3", "8.4")},
}


def lookup(repo: str, version: str) -> dict | None:
    """The harness's facts for `repo` at `version`, None when the table has none."""
    return SPECS.get((repo, str(version)))
