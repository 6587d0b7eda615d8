"""Era-correct environments: the date dependencies are resolved as of, and the Python of that era.

Guarantees: `resolve_pin_date` turns the `env.pin_date` setting into one UTC timestamp (or None for
`none`); `choose_python` is pure: from the repository's hard constraint (`requires-python`), the
versions it says it supports (classifiers, tox/nox, CI matrices) and the pin date, it picks the
interpreter among those a base image can provide, or names the version none can.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from agentmt.errors import ConfigError

PIN_MODES = ("commit", "pr_created", "none")
# First final release of each CPython minor version (python.org): what "existed at the pin date".
PYTHON_RELEASES = {
    "2.7": "2010-07-03", "3.4": "2014-03-16", "3.5": "2015-09-13", "3.6": "2016-12-23",
    "3.7": "2018-06-27", "3.8": "2019-10-14", "3.9": "2020-10-05", "3.10": "2021-10-04",
    "3.11": "2022-10-24", "3.12": "2023-10-02", "3.13": "2024-10-07", "3.14": "2025-10-07",
}


def version_key(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


def parse_date(text: str) -> str:
    """An ISO date or timestamp as a UTC RFC 3339 timestamp ("2019-05-01T00:00:00Z"); ConfigError if not one."""
    raw = text.strip().replace("Z", "+00:00")
    try:
        dt = datetime.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"pin_date {text!r} is not a date: use commit, pr_created, none or YYYY-MM-DD") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_pin_setting(value: str) -> str:
    """The `env.pin_date` setting, validated (a mode name or a date)."""
    value = str(value).strip()
    if value not in PIN_MODES:
        parse_date(value)
    return value


def resolve_pin_date(setting: str, *, commit_date: str = "", pr_created: str = "") -> str | None:
    """The timestamp to resolve dependencies as of; None means today's releases (`none`)."""
    if setting == "none":
        return None
    if setting == "commit":
        source = commit_date
    elif setting == "pr_created":
        source = pr_created or commit_date  # rows without a creation time fall back to the commit
    else:
        return parse_date(setting)
    return parse_date(source) if source else None


def stated_pythons(texts: list[str]) -> list[str]:
    """Python versions named as supported: "Python :: 3.8" classifiers, tox "py38", CI "3.8"."""
    found = set()
    for text in texts:
        found.update(re.findall(r"Programming Language :: Python :: (\d\.\d+)\b", text))
        found.update(f"{m[0]}.{m[1:]}" for m in re.findall(r"\bpy(3\d{1,2}|27)\b", text))
    return sorted((v for v in found if v in PYTHON_RELEASES), key=version_key)


def choose_python(spec: str, stated: list[str], era: str | None, available: list[str],
                  default: str) -> tuple[str | None, str]:
    """(chosen version or None, target version): the target is the newest stated version (else the
    newest release) allowed by `spec` and released by `era`; the choice is the available version
    allowed by `spec` nearest to it, the older one on a tie (the code predates the newer)."""
    from agentmt.environments.recipe import satisfies

    allowed = [v for v in PYTHON_RELEASES if satisfies(v, spec)]
    if era:
        dated = [v for v in allowed if PYTHON_RELEASES[v] <= era[:10]]
        allowed = dated or allowed  # a spec demanding a newer Python than the date wins
    ok_stated = [v for v in stated if v in allowed]
    if ok_stated:
        target = max(ok_stated, key=version_key)
    elif era and allowed:
        target = max(allowed, key=version_key)
    elif default in allowed or not allowed:
        target = default
    else:
        target = max(allowed, key=version_key)
    usable = [v for v in available if satisfies(v, spec)]
    if not usable:
        return None, target
    if not era and not ok_stated:  # nothing dates the repository: the configured default, else the newest
        return (default if default in usable else max(usable, key=version_key)), target
    t = version_key(target)

    def distance(v: str) -> tuple[int, int]:
        k = version_key(v)
        gap = abs((k[0] - t[0]) * 100 + k[1] - t[1])
        return gap, 0 if k <= t else 1

    return min(usable, key=distance), target
