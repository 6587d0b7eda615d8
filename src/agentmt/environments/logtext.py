"""Build and test logs made readable: no terminal escapes, the lines that say what failed.

Pure functions. `clean_log` removes ANSI escape sequences (docker's legacy builder colours every
stderr line red: `ESC[91m ... ESC[0m`) and carriage-return progress redraws; `error_lines` picks the
lines that name the failure, which in a long build log (a C extension's configure output, a
traceback) are often far above the tail.
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# a line that states an error, not a traceback frame or a warning that happens to mention one
_ERROR = re.compile(r"\b(?:error|fatal(?: error)?)\s*:|^\s*(?:E\s+)?ERROR\b|failed to build|no matching distribution"
                    r"|\bnot found\b|\bcould not\b|\bcannot\b|\b[A-Z]\w*(?:Error|Exception)\b(?=:|$)",
                    re.IGNORECASE)
_FRAME = re.compile(r'^\s*(?:File "|\^+$|~+$|Traceback \(most recent call last\))')
# what docker's legacy builder (DOCKER_BUILDKIT=0, chosen by agentmt) prints after every build
_BANNER = ("DEPRECATED: The legacy builder is deprecated", "BuildKit is currently disabled",
           "environment-variable.")


def clean_log(text: str) -> str:
    """`text` without ANSI escapes; of a line redrawn with carriage returns only its last state."""
    text = _ANSI.sub("", text or "").replace("\r\n", "\n")
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def error_lines(text: str, limit: int = 12) -> list[str]:
    """Distinct lines of `text` (cleaned) that state an error, in order, at most `limit`."""
    out: list[str] = []
    for line in clean_log(text).splitlines():
        line = line.rstrip()
        if not line.strip() or _FRAME.match(line) or not _ERROR.search(line):
            continue
        if line.strip() not in (x.strip() for x in out):
            out.append(line)
        if len(out) >= limit:
            break
    return out


def summarize_failure(log: str, tail_lines: int = 12) -> str:
    """What a reader of a dropped build needs first: the error lines, then the log's last lines."""
    lines = [x for x in clean_log(log).strip().splitlines() if not x.strip().startswith(_BANNER)]
    errors, tail = error_lines("\n".join(lines)), [x for x in lines if x.strip()][-tail_lines:]
    if not errors:
        return "\n".join(tail)
    return "\n".join([*errors, "-- last lines of the log --", *tail])
