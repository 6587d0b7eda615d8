"""setup.cfg requirement lists as setuptools reads them ("list-semi"): a value on one line is split at
`;` (tqdm 2021: `setup_requires=setuptools>=42; setuptools_scm[toml]>=3.4`, read as one requirement
with a marker, failed the resolve); a value over several lines has one requirement a line, where `;`
starts an environment marker."""

from __future__ import annotations

from agentmt.environments.declared import read_setup_cfg

ONE_LINE = """\
[options]
setup_requires=setuptools>=42; setuptools_scm[toml]>=3.4
install_requires=colorama; platform_system == "Windows"
[options.extras_require]
dev=py-make>=0.1.0; twine; wheel
"""
DANGLING = """\
[options]
install_requires =
    importlib-metadata; python_version < "3.8"
    colorama
tests_require =
    pytest>=6
"""


def test_a_one_line_list_is_split_at_semicolons():
    declared = read_setup_cfg(ONE_LINE)
    assert declared.build_deps == ["setuptools>=42", "setuptools_scm[toml]>=3.4"]
    assert declared.extras_map["dev"] == ["py-make>=0.1.0", "twine", "wheel"]
    # setuptools warns that this one looks like a marker: it is kept as one, the author's intent
    assert declared.deps == ['colorama; platform_system == "Windows"']


def test_a_list_over_lines_keeps_its_markers():
    declared = read_setup_cfg(DANGLING)
    assert declared.deps == ['importlib-metadata; python_version < "3.8"', "colorama"]
    assert declared.test_deps == ["pytest>=6"]
