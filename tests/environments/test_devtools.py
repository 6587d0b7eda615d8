"""Linters, formatters, type checkers and doc builders that nothing imports stay out of an inferred
recipe (starlette 2018's requirements.txt: mypy and black, whose typed-ast no longer compiles on 3.9;
arrow 2013's: sphinx 1.2b1, whose MarkupSafe imports setuptools.Feature)."""

from __future__ import annotations

from agentmt.environments.devtools import is_dev_tool, leave_out_dev_tools
from agentmt.environments.recipe import make_recipe, read_recipe_files

SETUP_PY = ('from setuptools import setup\n\nsetup(name="asgilib", version="0.1", packages=["asgilib"],\n'
            '      extras_require={"dev": ["black>=19.3b0", "pytest"]})\n')
REQUIREMENTS = ("requests\n\n# Testing\nmypy==0.600\nflake8-docstrings\ntypes-requests\nsphinx==1.2b1\n"
                "sphinx-rtd-theme\npytest\npytest-mypy\n")


def test_what_counts_as_a_dev_tool():
    assert all(map(is_dev_tool, ["mypy==0.600", "Black>=19.3b0", "sphinx_rtd_theme", "flake8-docstrings",
                                 "types-requests", "sphinxcontrib-napoleon", "isort[pyproject]"]))
    assert not any(map(is_dev_tool, ["pytest", "pytest-mypy", "pytest-flake8", "requests", "typing-extensions",
                                     "blackjack", "mypy-extensions"]))


def test_tools_nothing_imports_are_left_out_and_recorded(new_repo):
    files = {"setup.py": SETUP_PY, "asgilib/__init__.py": "import requests\n", "requirements.txt": REQUIREMENTS,
             "tests/test_app.py": "import requests\n\nimport asgilib\n",
             "docs/conf.py": "import sphinx_rtd_theme\nfrom sphinx.util import logging\n"}
    repo, sha = new_repo(files)
    recipe = make_recipe(read_recipe_files(repo, sha), era="2018-06-01T00:00:00Z")
    before = recipe["dependencies"] + recipe["test_dependencies"]
    assert {"mypy==0.600", "sphinx==1.2b1"} <= set(before)  # what the recipe reads, before the filter
    removed = leave_out_dev_tools(recipe, repo, sha)
    every = recipe["dependencies"] + recipe["test_dependencies"]
    assert not [r for r in every if is_dev_tool(r)], every
    assert {"requests", "pytest", "pytest-mypy"} <= set(every)  # the plugin stays and brings mypy itself
    assert set(removed) == set(before) - set(every) and recipe["dev_tools_left_out"] == removed
    assert {"sphinx==1.2b1", "sphinx-rtd-theme", "black>=19.3b0"} <= set(removed)  # docs/conf.py is no test


def test_a_tool_the_code_imports_stays(new_repo):
    """A mypy plugin's tests import mypy; a Sphinx extension imports sphinx: those are dependencies."""
    files = {"setup.py": SETUP_PY, "asgilib/__init__.py": "from sphinx.application import Sphinx\n",
             "requirements.txt": REQUIREMENTS, "tests/test_plugin.py": "import mypy.api\n"}
    repo, sha = new_repo(files)
    recipe = make_recipe(read_recipe_files(repo, sha), era="2018-06-01T00:00:00Z")
    removed = leave_out_dev_tools(recipe, repo, sha)
    every = recipe["dependencies"] + recipe["test_dependencies"]
    assert "mypy==0.600" in every and "sphinx==1.2b1" in every
    assert "sphinx-rtd-theme" in removed and not any(r.startswith(("mypy", "sphinx=")) for r in removed)
