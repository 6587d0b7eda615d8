"""What counts as agentmt's own secrets, and the one redaction every record, manifest, marker, log line and
error message is written through.

Secret: the value of any field named like *api_key*, *token*, *password*, *secret* or *authorization*; an
`Authorization`/`x-api-key` header value; the password part of a URL (`http://user:KEY@host`); and every
value registered with `register` or held by the key environment variables (SECRET_ENV). Guarantee:
`redact(x)` returns `x` with each of them replaced by REDACTED, the same shape otherwise; it is pure apart
from reading that registry and the environment. Secrets inside mined content are corpus/secrets.py's job.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import re
import threading
from typing import Any

REDACTED = "<redacted>"
# Credentials inside a URL, scheme://user:PASSWORD@host: the password (group 2) goes.
URL_PASSWORD = re.compile(r"\b([a-z][a-z0-9+.-]{1,20}://[^\s:/@'\"]{1,64}:)([^\s@/'\"]{3,128})(@[\w.-]+)", re.IGNORECASE)
# An Authorization / x-api-key header's value (group 2).
HEADER_TOKEN = re.compile(r"(?i)(\b(?:authorization|x-api-key)[\"']?\s*[:=]\s*[\"']?(?:bearer|token|basic)?\s*)"
                          r"([A-Za-z0-9._~+/=-]{16,})")
# variables that hold agentmt's keys: their values are secret wherever they show up
SECRET_ENV = ("AGENTMT_LLM_API_KEY", "OPENAI_API_KEY", "GITHUB_TOKEN", "GH_TOKEN", "HF_TOKEN")
SECRET_NAME = re.compile(r"(?i)(api[_-]?key|apikey|token|passw(?:or)?d|secret|authorization|credential)")
NOT_SECRET_NAME = re.compile(r"(?i)tokeniz|_(?:file|path|dir|env|url)$")
MIN_SECRET_LEN = 6  # shorter values would redact ordinary words (a key of "x" is a test's placeholder)

_KNOWN: set[str] = set()
_LOCK = threading.Lock()


def is_secret_name(name: str) -> bool:
    """Whether a config field or mapping key called `name` names a secret (`redact` drops its text values)."""
    # a tokenizer, a tokens_file path or a token_env variable name says where a secret is, not what it is
    return bool(SECRET_NAME.search(name)) and not NOT_SECRET_NAME.search(name)


def register(*values: str | None) -> None:
    """Remember configured secret values (a -c key, a token pool): text holding them is redacted."""
    with _LOCK:
        # only text: max_tokens=512 is a count under a secret-like name, not a key
        _KNOWN.update(v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LEN)


def register_from(data: Any) -> None:
    """Register the text values of every secret-named key in a config mapping (nested), and URL passwords."""
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(k, str) and is_secret_name(k):
                register(*(v if isinstance(v, (list, tuple)) else [v]) if not isinstance(v, dict) else ())
            register_from(v)
    elif isinstance(data, (list, tuple)):
        for v in data:
            register_from(v)
    elif isinstance(data, str):
        register(*(m.group(2) for m in URL_PASSWORD.finditer(data)))


def known_secrets() -> list[str]:
    """Registered values plus those of SECRET_ENV, longest first (no key is half-replaced by a prefix)."""
    env = (os.environ.get(n) for n in SECRET_ENV)
    with _LOCK:
        values = _KNOWN | {v for v in env if v and len(v) >= MIN_SECRET_LEN}
    return sorted(values, key=len, reverse=True)


def redact_text(text: str) -> str:
    """`text` with known secret values, URL passwords and Authorization header values replaced."""
    for value in known_secrets():
        if value in text:
            text = text.replace(value, REDACTED)
    text = URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED + m.group(3), text)
    return HEADER_TOKEN.sub(lambda m: m.group(1) + REDACTED, text)


def redact_spec(spec: str) -> str:
    """A `-c key=value` override with its value redacted when the key names a secret, else redact_text."""
    key, sep, _ = spec.partition("=")
    return f"{key}={REDACTED}" if sep and is_secret_name(key) else redact_text(spec)


def redact(value: Any) -> Any:
    """A copy of `value` (dicts, lists, tuples, strings) with every secret replaced by REDACTED; a mapping
    key named like a secret has its text (a string or a list of them) replaced whole, while numbers under
    such names (num_tokens, max_tokens) are counts and stay."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _blank(v) if isinstance(k, str) and is_secret_name(k) else redact(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    return value


def _blank(value: Any) -> Any:
    if isinstance(value, str):
        return REDACTED if value else value
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return type(value)(REDACTED for _ in value)
    return redact(value)


def find(value: Any) -> set[str]:
    """The secret values inside `value` (dicts, lists, tuples, dataclasses, pydantic models): text under
    secret-named keys or fields, URL passwords, and every known secret a string holds."""
    known, found = known_secrets(), set()

    def walk(v: Any, name: str = "") -> None:
        if isinstance(v, str):
            if name and is_secret_name(name) and len(v) >= MIN_SECRET_LEN:
                found.add(v)
            found.update(m.group(2) for m in URL_PASSWORD.finditer(v))
            found.update(k for k in known if k in v)
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(x, k if isinstance(k, str) else "")
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x, name)
        else:
            for k, x in _fields(v).items():
                walk(x, k)

    walk(value)
    return found


def swap(value: Any, pairs: dict[str, str]) -> Any:
    """A copy of `value` with each key of `pairs` replaced by its value inside every string, through dicts,
    lists, tuples, dataclasses and pydantic models; other objects (functions...) are returned as they are."""
    if not pairs:
        return value
    if isinstance(value, str):
        for old in sorted(pairs, key=len, reverse=True):
            value = value.replace(old, pairs[old])
        return value
    if isinstance(value, dict):
        return {k: swap(v, pairs) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(swap(v, pairs) for v in value)
    fields = _fields(value)
    if not fields:
        return value
    out = copy.copy(value)
    for k, v in fields.items():
        object.__setattr__(out, k, swap(v, pairs))  # frozen dataclasses and models too: `out` is our copy
    return out


def _fields(value: Any) -> dict[str, Any]:
    """The named fields of a dataclass instance or a pydantic model, else {}."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    model_fields = getattr(type(value), "model_fields", None)
    if isinstance(model_fields, dict) and not isinstance(value, type):
        return {k: getattr(value, k) for k in model_fields}
    return {}
