import pytest
from pydantic import BaseModel, Field

from agentmt.config import load_config, make_config
from agentmt.errors import ConfigError


class _Inner(BaseModel):
    size: int = 1
    name: str = "x"


class _Cfg(BaseModel):
    inner: _Inner = Field(default_factory=_Inner)
    flag: bool = False
    items: list[str] = Field(default_factory=list)


def test_yaml_then_overrides_merge_left_to_right(tmp_path):
    f = tmp_path / "a.yaml"
    f.write_text("inner:\n  size: 3\n  name: base\nflag: false\n")
    data = load_config(str(f), "inner.size=7", "flag=true", "items=[a, b]")
    assert data == {"inner": {"size": 7, "name": "base"}, "flag": True, "items": ["a", "b"]}


def test_make_config_validates_and_names_the_bad_key(tmp_path):
    cfg = make_config(_Cfg, "inner.size=5", defaults={"inner": {"name": "d"}})
    assert cfg.inner.size == 5 and cfg.inner.name == "d"
    with pytest.raises(ConfigError, match="inner.size"):
        make_config(_Cfg, "inner.size=notanumber")


def test_unknown_spec_and_bad_yaml_are_one_line_user_errors(tmp_path):
    with pytest.raises(ConfigError, match="neither a file"):
        load_config("no_such_builtin_or_file")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(str(bad))
    lst = tmp_path / "list.yaml"
    lst.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(str(lst))
    with pytest.raises(ValueError):  # user errors are ValueErrors
        load_config("=3")
