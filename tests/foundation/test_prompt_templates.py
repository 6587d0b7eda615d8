"""The one prompt-template loader: a built-in file, a user's file, and the mistakes it names."""

from __future__ import annotations

import re

import pytest

from agentmt.config import load_prompt_templates
from agentmt.errors import ConfigError


def test_builtin_and_user_templates(tmp_path):
    assert isinstance(load_prompt_templates(None, "enhance", ("summary", "refine"))["refine"], str)
    f = tmp_path / "p.yaml"
    f.write_text("system: hello {x}\ninstance: |\n  two\n  lines\n")
    assert load_prompt_templates(str(f), "setup_agent", ("system", "instance")) == {
        "system": "hello {x}", "instance": "two\nlines\n"}


@pytest.mark.parametrize("text, message", [
    ("system: a\n", "lacks template(s) instance"),
    ("system: a\ninstance: [1]\n", "lacks template(s) instance"),
    ("system: [unclosed\n", "is not valid YAML"),
    ("- a\n- b\n", "must hold a mapping"),
])
def test_user_mistakes_name_the_file(tmp_path, text, message):
    f = tmp_path / "p.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)) as e:
        load_prompt_templates(str(f), "setup_agent", ("system", "instance"))
    assert str(f) in str(e.value)
    with pytest.raises(ConfigError, match="does not exist"):
        load_prompt_templates(str(tmp_path / "missing.yaml"), "setup_agent", ("system",))
