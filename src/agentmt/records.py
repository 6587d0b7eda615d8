"""Records ↔ typed, nested Arrow columns, derived from the dataclass annotations in `types.py`.

One schema function serves every record (`arrow_schema(cls)`); nothing is spelled out per record.
Mapping of annotations to Arrow types:

- `str` / `Literal["a", ...]` → large_string (large: a shard's diffs and file contents may pass 2 GiB);
  `int` → int64; `float` → float64; `bool` → bool
- `X | None` → the type of X, nullable; every other field is non-nullable, so a None there fails the write
- `list[X]` → large_list of X; a nested record → struct of its fields
- `dict[str, V]` with a plain V (str, int, float, bool) → large_list<struct<key, value>>: `datasets`
  has no Arrow map type, and a list of pairs keeps the insertion order, so the dict round-trips exactly
- `dict[str, Any]` (and any annotation involving Any) → a JSON-encoded string column: its shape is
  open (install recipes, grading reports), so a fixed schema cannot hold it; keys and values round-trip
  as JSON does (tuples come back as lists)

Conversion functions are compiled once per type and skip the fields that need no conversion, so
encoding stays close to the cost of building the dicts pyarrow reads (the miner's hot path).
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from functools import cache
from typing import Any, Literal

_PLAIN = {str: "large_string", int: "int64", float: "float64", bool: "bool_"}
_Conv = typing.Callable[[Any], Any] | None  # None: the value passes through unchanged


def _is_record(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _optional_arg(tp: Any) -> Any | None:
    """X for `X | None` / `Optional[X]`, else None."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0]
        raise TypeError(f"unions other than `X | None` have no Arrow column type: {tp}")
    return None


def _is_json(tp: Any) -> bool:
    """Annotations stored as JSON text: Any, and containers whose values are Any."""
    if tp is Any:
        return True
    return any(_is_json(a) for a in typing.get_args(tp) if a is not Ellipsis)


@cache
def hints(cls: type) -> dict[str, Any]:
    """Resolved field annotations of a record class, in field order."""
    resolved = typing.get_type_hints(cls)
    return {f.name: resolved[f.name] for f in dataclasses.fields(cls)}


def arrow_type(tp: Any):
    """(Arrow type, nullable) for one annotation."""
    import pyarrow as pa

    inner = _optional_arg(tp)
    if inner is not None:
        return arrow_type(inner)[0], True
    if _is_json(tp):
        return pa.large_string(), False
    origin = typing.get_origin(tp)
    if tp in _PLAIN:
        return getattr(pa, _PLAIN[tp])(), False
    if origin is Literal:
        if not all(isinstance(a, str) for a in typing.get_args(tp)):
            raise TypeError(f"only Literal of strings has a column type: {tp}")
        return pa.large_string(), False
    if origin is list:
        (arg,) = typing.get_args(tp)
        item, nullable = arrow_type(arg)
        return pa.large_list(pa.field("item", item, nullable=nullable)), False
    if origin is dict:
        key, value = typing.get_args(tp)
        if key is not str:
            raise TypeError(f"dict keys must be str to have a column type: {tp}")
        vtype, vnull = arrow_type(value)
        pair = pa.struct([pa.field("key", pa.large_string(), nullable=False),
                          pa.field("value", vtype, nullable=vnull)])
        return pa.large_list(pa.field("item", pair, nullable=False)), False
    if _is_record(tp):
        return pa.struct(_fields(tp)), False
    raise TypeError(f"no Arrow column type for annotation {tp!r}")


def _fields(cls: type) -> list:
    import pyarrow as pa

    out = []
    for name, tp in hints(cls).items():
        atype, nullable = arrow_type(tp)
        out.append(pa.field(name, atype, nullable=nullable))
    return out


@cache
def arrow_schema(cls: type):
    """The Arrow schema of a record class: one column per dataclass field, nested types included."""
    import pyarrow as pa

    return pa.schema(_fields(cls))


def json_fields(cls: type) -> list[str]:
    """Top-level fields of `cls` stored as JSON text."""
    return [name for name, tp in hints(cls).items() if _is_json(tp)]


# ---------------------------------------------------------------------------------------------
# Conversion: record ↔ the plain row pyarrow reads and writes


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@cache
def _to_cell(tp: Any) -> _Conv:
    inner = _optional_arg(tp)
    if inner is not None:
        f = _to_cell(inner)
        return None if f is None else (lambda v: None if v is None else f(v))
    if _is_json(tp):
        return _dumps
    origin = typing.get_origin(tp)
    if origin is list:
        f = _to_cell(typing.get_args(tp)[0])
        return None if f is None else (lambda v: [f(x) for x in v])
    if origin is dict:
        f = _to_cell(typing.get_args(tp)[1])
        if f is None:
            return lambda v: [{"key": k, "value": x} for k, x in v.items()]
        return lambda v: [{"key": k, "value": f(x)} for k, x in v.items()]
    if _is_record(tp):
        return to_row_fn(tp)
    return None


@cache
def to_row_fn(cls: type) -> typing.Callable[[Any], dict[str, Any]]:
    """A function record → row dict (nested records as dicts, dicts as key/value lists, Any as JSON)."""
    names = tuple(hints(cls))
    convs = [(i, c) for i, n in enumerate(names) if (c := _to_cell(hints(cls)[n])) is not None]

    def to_row(rec: Any) -> dict[str, Any]:
        values = [getattr(rec, n) for n in names]
        for i, conv in convs:
            values[i] = conv(values[i])
        return dict(zip(names, values))

    return to_row


@cache
def _from_cell(tp: Any) -> _Conv:
    inner = _optional_arg(tp)
    if inner is not None:
        f = _from_cell(inner)
        return None if f is None else (lambda v: None if v is None else f(v))
    if _is_json(tp):
        return json.loads
    origin = typing.get_origin(tp)
    if origin is list:
        f = _from_cell(typing.get_args(tp)[0])
        return None if f is None else (lambda v: [f(x) for x in v])
    if origin is dict:
        f = _from_cell(typing.get_args(tp)[1])
        if f is None:
            return lambda v: {e["key"]: e["value"] for e in v}
        return lambda v: {e["key"]: f(e["value"]) for e in v}
    if _is_record(tp):
        return from_row_fn(tp)
    return None


@cache
def from_row_fn(cls: type) -> typing.Callable[[dict[str, Any]], Any]:
    """The inverse of `to_row_fn(cls)`; fields missing from the row (written before they existed) get
    their defaults."""
    convs = {n: _from_cell(tp) for n, tp in hints(cls).items()}

    def from_row(row: dict[str, Any]) -> Any:
        kwargs = {}
        for name, conv in convs.items():
            if name in row:
                value = row[name]
                kwargs[name] = value if conv is None or value is None else conv(value)
        return cls(**kwargs)

    return from_row
