"""Configuration loading: YAML files, built-in names and dotted `key=value` overrides.

`load_config("ctx_render", "my.yaml", "llm.model=foo")` merges left to right and returns a plain
dict; callers validate it with their pydantic `<Stage>Config` through `make_config`.
"""

from __future__ import annotations

from difflib import get_close_matches
from importlib import resources
from pathlib import Path
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from agentmt.errors import ConfigError

T = TypeVar("T", bound=BaseModel)


def builtin_names() -> list[str]:
    root = resources.files("agentmt") / "configs"
    return sorted(p.name[: -len(".yaml")] for p in root.iterdir() if p.name.endswith(".yaml"))


def read_yaml(text: str, where: str, error: type[ConfigError] = ConfigError) -> Any:
    """The one YAML reader of agentmt's own files (configs, prompts, pipelines): an `error` naming
    `where` and the parser's first line when the text is not YAML."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise error(f"{where} is not valid YAML: {str(e).splitlines()[0]}") from None


def _load_yaml(text: str, where: str) -> dict[str, Any]:
    data = read_yaml(text, where) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must hold a mapping of keys to values at the top level")
    return data


def load_prompt_templates(path: str | Path | None, builtin: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """Prompt templates from the YAML file `path`, else the built-in configs/prompts/BUILTIN.yaml;
    a ConfigError names the file when it is missing, not YAML, or lacks one of `keys`."""
    if path:
        if not Path(path).is_file():
            raise ConfigError(f"prompt file {path} does not exist: pass a YAML file of templates, or none")
        text, where = Path(path).read_text(encoding="utf-8"), str(path)
    else:
        text = (resources.files("agentmt") / "configs" / "prompts" / f"{builtin}.yaml").read_text(encoding="utf-8")
        where = f"built-in prompts/{builtin}.yaml"
    data = _load_yaml(text, where)
    missing = [k for k in keys if not isinstance(data.get(k), str)]
    if missing:
        raise ConfigError(f"prompt file {where} lacks template(s) {', '.join(missing)}: add them as strings")
    return data


def _parse_value(raw: str) -> Any:
    # YAML scalars give the natural types: 3 -> int, true -> bool, [a, b] -> list, null -> None.
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for p in parts[:-1]:
        child = node.get(p)
        if not isinstance(child, dict):
            child = {}
            node[p] = child
        node = child
    node[parts[-1]] = value


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def load_config(*specs: str) -> dict[str, Any]:
    """Merge config specs left to right: `key=value`, a YAML path, or a built-in config name."""
    data: dict[str, Any] = {}
    for spec in specs:
        if not spec:
            continue
        if "=" in spec and not Path(spec).exists():
            key, raw = spec.split("=", 1)
            if not key.strip():
                raise ConfigError(f"override {spec!r} has no key: write it as key=value")
            _set_dotted(data, key.strip(), _parse_value(raw))
            continue
        path = Path(spec)
        if path.exists():
            data = deep_merge(data, _load_yaml(path.read_text(), str(path)))
            continue
        res = resources.files("agentmt") / "configs" / f"{spec}.yaml"
        if res.is_file():
            data = deep_merge(data, _load_yaml(res.read_text(), f"built-in config {spec!r}"))
            continue
        raise ConfigError(
            f"config {spec!r} is neither a file, a key=value override nor a built-in "
            f"(built-ins: {', '.join(builtin_names()) or 'none'})"
        )
    return data


def make_config(cls: type[T], *specs: str, defaults: dict[str, Any] | None = None) -> T:
    """Load specs over `defaults` and validate into `cls`; the error names the bad key.

    A key that no field declares (a typo such as `rnus=1`) is an error even where the model itself
    would ignore it, so a misspelt setting never silently falls back to its default."""
    data = deep_merge(defaults or {}, load_config(*specs))
    return validate_config(cls, data)


def validate_config(cls: type[T], data: dict[str, Any], section: str = "") -> T:
    """`cls.model_validate(data)` with a one-line ConfigError naming the (dotted) key at fault."""
    from agentmt.secrets import register_from

    register_from(data)  # keys given here are redacted from every file and message written later
    unknown = unknown_keys(cls, data, f"{section}." if section else "")
    if unknown:
        key, owner = unknown[0]
        prefix = key.rpartition(".")[0]
        known = [f"{prefix}.{n}" if prefix else n for n in sorted(_fields(owner))]
        hint = get_close_matches(key, known, n=1)
        raise ConfigError(f"unknown config key {key!r}" + (f": did you mean {hint[0]!r}?" if hint else ""))
    try:
        return cls.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in ((section,) if section else ()) + tuple(err["loc"])) or "(top level)"
        raise ConfigError(f"config key {loc!r}: {err['msg']} (got {err.get('input')!r})") from e


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The config model a field holds (`Sub` or `Sub | None`), else None (plain values, dicts, lists)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    models = [a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
    return models[0] if len(models) == 1 and get_origin(annotation) in (Union, UnionType) else None


def _fields(cls: type[BaseModel]) -> dict[str, Any]:
    """A model's fields by name and by alias."""
    return {n: f for name, f in cls.model_fields.items() for n in (name, f.alias) if n}


def unknown_keys(cls: type[BaseModel], data: dict[str, Any], prefix: str = "") -> list[tuple[str, type[BaseModel]]]:
    """(dotted key, the model it was given to) for each key of `data` that neither `cls` nor the
    config models nested in it declare (pure)."""
    if cls.model_config.get("extra") == "allow":
        return []
    fields = _fields(cls)
    out = []
    for key, value in data.items():
        if key not in fields:
            out.append((f"{prefix}{key}", cls))
            continue
        sub = _nested_model(fields[key].annotation)
        if sub is not None and isinstance(value, dict):
            out += unknown_keys(sub, value, f"{prefix}{key}.")
    return out
