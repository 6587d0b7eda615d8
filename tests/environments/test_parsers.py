"""Log parsers on real runner output, checked against the official swebench parser; pure grading."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agentmt.environments.grading import (
    END_TEST_OUTPUT,
    EXIT_CODE_MARKER,
    INFRA_ERROR,
    RESOLVED,
    START_TEST_OUTPUT,
    TEST_TIMEOUT,
    UNRESOLVED,
    make_outcome,
    make_report,
)
from agentmt.environments.parsers import get_parser, parse_django, parse_pytest, parse_unittest
from agentmt.errors import ConfigError
from agentmt.types import TaskInstance

SUITE = '''
import pytest, unittest

def test_pass(): assert True
def test_fail(): assert 1 == 2, "boom - with dash"
@pytest.mark.skip(reason="not here")
def test_skip(): pass
@pytest.mark.xfail
def test_xfail(): assert False
@pytest.mark.parametrize("x", [1, 2, "a b", "a-b"])
def test_param(x): assert x != 2
@pytest.fixture
def broken(): raise RuntimeError("fixture")
def test_error(broken): pass
class TestCls:
    def test_method(self): pass
class TestUnit(unittest.TestCase):
    def test_ok(self): pass
    def test_bad(self): self.fail("no")
    @unittest.skip("later")
    def test_later(self): pass
'''


@pytest.fixture(scope="module")
def pytest_logs(tmp_path_factory):
    root = tmp_path_factory.mktemp("suite")
    (root / "tests").mkdir()
    (root / "tests" / "test_suite.py").write_text(SUITE)
    logs = {}
    for name, flags in {"rA": ["-rA"], "v_rA": ["-v", "-rA"]}.items():
        logs[name] = subprocess.run([sys.executable, "-m", "pytest", *flags, "-p", "no:cacheprovider", "tests"],
                                    cwd=root, capture_output=True, text=True).stdout
    return logs


@pytest.mark.parametrize("kind", ["rA", "v_rA"])
def test_pytest_parser_agrees_with_official_swebench(pytest_logs, kind):
    from swebench.harness.log_parsers.python import parse_log_pytest

    log = pytest_logs[kind]
    ours = parse_pytest(log)
    official = parse_log_pytest(log, None)
    # one known difference: swebench splits ids on whitespace, so "test_param[a b]" becomes
    # "test_param[a"; agentmt keeps the full id (which is what pytest accepts on its command line)
    spaced = "tests/test_suite.py::test_param[a b]"
    assert official.pop("tests/test_suite.py::test_param[a") == ours.pop(spaced) == "PASSED"
    assert ours == official
    ours[spaced] = "PASSED"
    assert ours["tests/test_suite.py::test_pass"] == "PASSED"
    assert ours["tests/test_suite.py::test_fail"] == "FAILED"
    # -rA reports skips only as "SKIPPED [1] file:line: reason" (no id), in both parsers
    assert "tests/test_suite.py::test_skip" not in ours
    assert ours["tests/test_suite.py::test_xfail"] == "XFAIL"
    assert ours["tests/test_suite.py::test_error"] == "ERROR"
    assert ours["tests/test_suite.py::test_param[2]"] == "FAILED"
    assert ours["tests/test_suite.py::TestUnit::test_bad"] == "FAILED"
    assert len(ours) == 11


def test_unittest_and_django_parsers_on_real_output(tmp_path):
    (tmp_path / "test_u.py").write_text("import unittest\n" + "class TestUnit" + SUITE.split("class TestUnit")[1])
    log = subprocess.run([sys.executable, "-m", "unittest", "-v", "test_u"], cwd=tmp_path,
                         capture_output=True, text=True).stderr
    status = parse_unittest(log)
    assert status == {"test_ok (test_u.TestUnit)": "PASSED", "test_bad (test_u.TestUnit)": "FAILED",
                      "test_later (test_u.TestUnit)": "SKIPPED"}
    django_log = ("test_a (app.tests.T)\nDocstring of a. ... ok\ntest_b (app.tests.T) ... FAIL\n"
                  "test_c (app.tests.T) ... skipped 'x'\n")
    assert parse_django(django_log) == {"test_a (app.tests.T)": "PASSED", "test_b (app.tests.T)": "FAILED",
                                        "test_c (app.tests.T)": "SKIPPED"}
    assert get_parser("django") is parse_django
    with pytest.raises(ConfigError, match="unknown test-log parser"):
        get_parser("jest")


def _task() -> TaskInstance:
    return TaskInstance(instance_id="o__r-1", repo="o/r", base_commit="b", patch="", test_patch="",
                        problem_statement="", FAIL_TO_PASS=["t.py::a"], PASS_TO_PASS=["t.py::b", "t.py::s"],
                        install={"test_runner": "pytest"})


def _log(lines: str, code: int = 0) -> str:
    return f"setup noise\n{START_TEST_OUTPUT}\n{lines}\n{END_TEST_OUTPUT}\n{EXIT_CODE_MARKER} {code}\n"


def test_grading_report_matches_swebench_shape_and_outcomes():
    from swebench.harness.grading import get_eval_tests_report

    task = _task()
    good = _log("PASSED t.py::a\nPASSED t.py::b\nSKIPPED t.py::s")
    report = make_report(task, good, model_patch="diff")["o__r-1"]
    assert report["resolved"] and report["outcome"] == RESOLVED and report["patch_successfully_applied"]
    official = get_eval_tests_report(parse_pytest(good), {"FAIL_TO_PASS": task.FAIL_TO_PASS,
                                                          "PASS_TO_PASS": task.PASS_TO_PASS})
    assert report["tests_status"] == official
    bad = make_report(task, _log("FAILED t.py::a\nPASSED t.py::b", 1), model_patch="diff")["o__r-1"]
    assert not bad["resolved"] and bad["tests_status"]["FAIL_TO_PASS"]["failure"] == ["t.py::a"]
    assert bad["tests_status"]["PASS_TO_PASS"]["failure"] == ["t.py::s"]  # missing counts as failure
    assert make_report(task, good, model_patch=None)["o__r-1"]["patch_is_None"]
    assert make_outcome(exit_code=124, tests_status=None) == TEST_TIMEOUT
    assert make_outcome(exit_code=137, tests_status=None) == INFRA_ERROR
    assert make_outcome(exit_code=None) == INFRA_ERROR
    assert make_outcome(exit_code=1, install_failed=True) == "install_error"
    assert make_outcome(exit_code=1, tests_status=None) == UNRESOLVED


PRINTING_SUITE = '''\
import sys
import unittest


class TestPrints(unittest.TestCase):
    def test_prints_lines(self):
        print("parse tree:")
        print("expr (grammar)")  # looks like a docstring test's id: it is this test's output
        print("ok")  # a printed line that looks like a status is still the test's output
        sys.stdout.flush()

    def test_prints_no_newline(self):
        sys.stdout.write("[['a', 'b']] ... ")
        sys.stdout.flush()
        self.fail("no")

    def test_quiet(self):
        pass

    def test_documented(self):
        """The first docstring line is printed between the id and the status."""

    def test_prints_no_newline_and_passes(self):
        sys.stdout.write("['//']")
        sys.stdout.flush()

    def test_prints_like_a_status_then_fails(self):
        sys.stdout.write("look ok")
        sys.stdout.flush()
        self.fail("no")
'''


def test_unittest_statuses_after_a_tests_own_output_are_read(tmp_path):
    """unittest -v writes "name (cls) ... " to stderr, then the test's prints reach stdout, then the
    status word: in the merged log (2>&1, as the harness runs it) the status is on a later line."""
    (tmp_path / "test_p.py").write_text(PRINTING_SUITE)
    log = subprocess.run([sys.executable, "-u", "-m", "unittest", "-v", "test_p"], cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False).stdout
    status = {k.split(" ")[0]: v for k, v in parse_unittest(log).items()}
    assert status == {"test_prints_lines": "PASSED", "test_prints_no_newline": "FAILED", "test_quiet": "PASSED",
                      "test_prints_no_newline_and_passes": "PASSED", "test_documented": "PASSED",
                      "test_prints_like_a_status_then_fails": "FAILED"}, log


LOGGING_SUITE = '''\
import logging


def test_logs_then_fails():
    logging.getLogger("app").error("Nope 1")
    assert False


def test_logs_and_passes():
    logging.getLogger("app").error("Oops")
'''


def test_captured_log_lines_are_not_test_results(tmp_path):
    """-rA shows each test's captured log ("ERROR    app:test_log.py:5 Nope 1"): no test is named there."""
    (tmp_path / "test_log.py").write_text(LOGGING_SUITE)
    log = subprocess.run([sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", "test_log.py"],
                         cwd=tmp_path, capture_output=True, text=True, check=False).stdout
    assert "ERROR    app:test_log.py:5 Nope 1" in log
    assert parse_pytest(log) == {"test_log.py::test_logs_then_fails": "FAILED",
                                 "test_log.py::test_logs_and_passes": "PASSED"}
