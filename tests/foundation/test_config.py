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


class _Loose(BaseModel):  # pydantic's default: unknown keys ignored, as most stage configs declare
    inner: _Inner | None = None
    extra: dict[str, int] = Field(default_factory=dict)
    runs: int = 3


@pytest.mark.parametrize("spec, key, hint", [
    ("rnus=1", "rnus", "runs"),
    ("inner.sise=2", "inner.sise", "inner.size"),
    ("zzz=1", "zzz", None),
])
def test_a_misspelt_key_is_an_error_with_the_closest_known_key(spec, key, hint):
    with pytest.raises(ConfigError) as e:
        make_config(_Loose, spec)
    msg = str(e.value)
    assert f"unknown config key {key!r}" in msg and "\n" not in msg
    assert (f"did you mean {hint!r}" in msg) if hint else ("did you mean" not in msg)


def test_free_form_dict_fields_and_known_nested_keys_pass():
    cfg = make_config(_Loose, "extra.anything=4", "inner.size=2", "runs=5")
    assert cfg.extra == {"anything": 4} and cfg.inner.size == 2 and cfg.runs == 5


def test_every_builtin_preset_names_only_known_keys():
    """The shipped presets load into the config they are made for (a renamed field breaks this)."""
    from agentmt.environments.config import load_env_config
    from agentmt.evaluation.config import load_eval_config
    from agentmt.rollouts.config import load_rollout_config

    load_env_config()
    load_rollout_config("rollout_demo")
    load_eval_config("eval_demo")
