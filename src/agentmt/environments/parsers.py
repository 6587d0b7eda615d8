"""Test-log parsers: plain functions from log text to {test id: status}, looked up by name.

Statuses use SWE-bench's vocabulary (PASSED, FAILED, SKIPPED, ERROR, XFAIL) so reports are
interchangeable with the official harness. When a test appears twice, the last line wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable

PASSED, FAILED, SKIPPED, ERROR, XFAIL = "PASSED", "FAILED", "SKIPPED", "ERROR", "XFAIL"
STATUSES = (PASSED, FAILED, SKIPPED, ERROR, XFAIL)


def is_pass(status: str | None) -> bool:
    """A status that counts as passing (an expected failure passes, as in SWE-bench)."""
    return status in (PASSED, XFAIL)


def swebench_id(test_id: str) -> str:
    """A pytest id as the official `swebench` pytest parser names it: cut at the first space
    (`test_x[a b]` → `test_x[a`); other runners' ids ("test_x (mod.Class)") are kept whole."""
    return test_id.split()[0] if "::" in test_id and test_id.strip() else test_id


def with_swebench_ids(status: dict[str, str]) -> dict[str, str]:
    """`status` where each test is also found under its swebench id (exact ids win; of two tests cut
    to one id the later wins, as in swebench's own map)."""
    out = {swebench_id(t): s for t, s in status.items()}
    out.update(status)
    return out

# pytest -rA short summary: "PASSED tests/test_a.py::test_x", "FAILED tests/test_a.py::test_y - msg";
# one space after the word: captured logging writes "ERROR    tests:test_x.py:86 message" (the level
# padded to 8), which names no test (loguru 2024's 4 phantom errors)
_PYTEST_SUMMARY = re.compile(r"^(PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS) (\S.*)$")
# pytest -v progress: "tests/test_a.py::test_x PASSED                 [ 50%]"
_PYTEST_VERBOSE = re.compile(r"^(\S+::.+?)\s+(PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS)(?:\s+\[\s*\d+%\])?\s*$")
# pytest's "SKIPPED [2] tests/x.py:10: reason" summary counts skips, it names no test
_SKIP_COUNT = re.compile(r"^\[\d+\]$")


def parse_pytest(log: str) -> dict[str, str]:
    """pytest logs (`-rA` summary lines and/or `-v` progress lines)."""
    status: dict[str, str] = {}
    for raw in log.splitlines():
        line = raw.strip()
        m = _PYTEST_SUMMARY.match(line)
        if m:
            st, name = m.group(1), _strip_message(m.group(2))
            if st == SKIPPED and _SKIP_COUNT.match(name.split()[0]):
                continue
            if ":" in name.split("::", 1)[0]:  # "logger:file.py:12", not a test's path
                continue
        else:
            m = _PYTEST_VERBOSE.match(line)
            if not m:
                continue
            name, st = m.group(1), m.group(2)
        # XPASS counts as a pass, as in SWE-bench's pytest parser family
        status[name] = PASSED if st == "XPASS" else st
    return status


def _strip_message(rest: str) -> str:
    """The test id from "<id> - <message>"; a parametrized id may itself hold spaces or " - "."""
    if "[" in rest:
        end = rest.find("]", rest.find("["))
        while end >= 0 and not (end + 1 == len(rest) or rest.startswith(" - ", end + 1)):
            end = rest.find("]", end + 1)
        if end >= 0:
            return rest[: end + 1]
    return rest.split(" - ", 1)[0].strip()


# unittest -v: "test_x (pkg.mod.TestC.test_x) ... ok" (3.11+) or "test_x (pkg.mod.TestC) ... FAIL"
_UNITTEST = re.compile(r"^(\w+) \(([\w.]+)\)\s\.\.\.\s(ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$")
_UNITTEST_MAP = {"ok": PASSED, "FAIL": FAILED, "ERROR": ERROR, "expected failure": XFAIL,
                 "unexpected success": FAILED}


_UNITTEST_PENDING = re.compile(r"^(\w+) \(([\w.]+)\)(?:\s\.\.\.\s?(.*))?$")  # no "...": a docstring line follows
_UNITTEST_STATUS = re.compile(r"^(ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$")
# ... or at the end of the test's last printed line when that had no newline ("['//']ok")
_UNITTEST_STATUS_TAIL = re.compile(r"(ok|FAIL|ERROR|skipped '.*'|expected failure|unexpected success)$")


def _unittest_id(name: str, cls: str) -> str:
    if cls.endswith("." + name):  # Python 3.11+ prints the full id inside the parentheses
        cls = cls[: -len(name) - 1]
    return f"{name} ({cls})"


def parse_unittest(log: str) -> dict[str, str]:
    """unittest `-v` logs; ids are "test_name (dotted.Class)" as Django/SWE-bench write them.

    A test that prints puts its output between "... " (stderr) and its status word: the status is
    then the first line that is only a status word, or that ends with one when the output had no
    final newline, before the next test starts (pyparsing 2021's tests print their parse trees);
    the rest of the printed lines are not results. A test with a docstring gets the same wait: its
    id stands alone, its status ends the docstring's first line. A line of output that merely ends like a status
    can end the wait early; the trailer's "FAIL: ..." / "ERROR: ..." lines, read last, correct it."""
    status: dict[str, str] = {}
    pending: tuple[str, str] | None = None  # (name, class) of a test whose status has not come yet
    for raw in log.splitlines():
        line = raw.strip()
        m = _UNITTEST.match(line)
        if m:
            name, cls, outcome = m.groups()
        elif (p := _UNITTEST_PENDING.match(line)) and (p.group(3) is not None or not pending):
            # "name (cls) ... " and maybe output, maybe its status; a bare "name (cls)" (a docstring
            # line follows) only between tests: while one runs, such a line is its output
            pending = (p.group(1), p.group(2))
            if not (w := _UNITTEST_STATUS_TAIL.search(p.group(3) or "")):
                continue
            name, cls, outcome = (*pending, w.group(1))
        elif pending and (w := _UNITTEST_STATUS.match(line) or _UNITTEST_STATUS_TAIL.search(line)):
            name, cls, outcome = (*pending, w.group(1))
        else:
            continue
        pending = None
        status[_unittest_id(name, cls)] = SKIPPED if outcome.startswith("skipped") else _UNITTEST_MAP[outcome]
    # failures reported only in the trailer ("FAIL: test_x (pkg.TestC)") override earlier lines
    for m in re.finditer(r"^(FAIL|ERROR): (\w+) \(([\w.]+)\)", log, re.MULTILINE):
        kind, name, cls = m.groups()
        status[_unittest_id(name, cls)] = FAILED if kind == "FAIL" else ERROR
    return status


def parse_django(log: str) -> dict[str, str]:
    """Django's runtests.py (unittest-style lines, plus its "... ok" on a following line)."""
    # Django sometimes prints a test's docstring between the id and "... ok": join those lines
    joined = re.sub(r"\)\n([^\n]*?) \.\.\. ", r") ... ", log)
    return parse_unittest(joined)


PARSERS: dict[str, Callable[[str], dict[str, str]]] = {
    "pytest": parse_pytest,
    "unittest": parse_unittest,
    "django": parse_django,
}


def get_parser(name: str) -> Callable[[str], dict[str, str]]:
    from agentmt.errors import ConfigError

    try:
        return PARSERS[name]
    except KeyError:
        raise ConfigError(f"unknown test-log parser {name!r}; choose one of {', '.join(PARSERS)}") from None
