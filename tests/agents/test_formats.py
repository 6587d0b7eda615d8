"""The XML action format is a pure parser: well-formed, multiple, partial and malformed calls."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentmt.agents.formats import (
    TOOLS,
    ActionParseError,
    coerce_arguments,
    parse_xml_calls,
    render_tools_text,
    render_xml_call,
)


def test_one_call_with_thought_and_framing_newlines():
    text = "I will list files.\n<function=bash>\n<parameter=command>\nls -la\n</parameter>\n</function>"
    thought, calls = parse_xml_calls(text)
    assert thought == "I will list files."
    assert [(c.name, c.arguments) for c in calls] == [("bash", {"command": "ls -la"})]


def test_multiple_calls_in_order_and_text_between_is_ignored():
    text = ("<function=bash><parameter=command>a</parameter></function> then "
            "<function=str_replace_editor><parameter=command>view</parameter>"
            "<parameter=path>/testbed</parameter></function>")
    _, calls = parse_xml_calls(text)
    assert [c.name for c in calls] == ["bash", "str_replace_editor"]
    assert calls[1].arguments == {"command": "view", "path": "/testbed"}


def test_no_call_is_no_call_and_a_broken_tag_is_an_error():
    assert parse_xml_calls("just thinking") == ("just thinking", [])
    with pytest.raises(ActionParseError, match="<function=NAME>"):
        parse_xml_calls("<function bash>")


def test_missing_final_close_is_accepted_but_unclosed_parameter_is_not():
    _, calls = parse_xml_calls("<function=bash>\n<parameter=command>pwd</parameter>\n")
    assert calls[0].arguments == {"command": "pwd"}
    with pytest.raises(ActionParseError, match="not closed"):
        parse_xml_calls("<function=bash>\n<parameter=command>pwd\n")


def test_stray_text_and_duplicate_parameters_are_errors():
    with pytest.raises(ActionParseError, match="unexpected text"):
        parse_xml_calls("<function=bash>oops<parameter=command>x</parameter></function>")
    with pytest.raises(ActionParseError, match="twice"):
        parse_xml_calls("<function=bash><parameter=command>a</parameter><parameter=command>b</parameter>")


def test_values_may_hold_markup_and_are_kept_verbatim():
    body = "x = '<function=evil>'\n\n  indented\n"
    text = render_xml_call("str_replace_editor", {"command": "create", "path": "/a.py", "file_text": body})
    _, calls = parse_xml_calls(text)
    assert len(calls) == 1 and calls[0].arguments["file_text"] == body


@given(st.text(alphabet=st.characters(blacklist_characters="<>"), max_size=200))
def test_render_then_parse_round_trips(value):
    _, calls = parse_xml_calls(render_xml_call("bash", {"command": value}))
    assert calls[0].arguments == {"command": value}


def test_coerce_by_schema():
    args = coerce_arguments("str_replace_editor", {"command": "view", "path": "/x", "view_range": "[1, 5]"})
    assert args["view_range"] == [1, 5]
    assert coerce_arguments("str_replace_editor", {"command": "insert", "path": "/x", "insert_line": " 3 ",
                                                   "new_str": "y"})["insert_line"] == 3
    assert coerce_arguments("bash", json.dumps({"command": "ls"})) == {"command": "ls"}
    assert coerce_arguments("submit", "") == {}
    for name, args, match in [("nope", {}, "unknown tool"), ("bash", "{bad", "not valid JSON"),
                              ("bash", {}, "needs parameter"), ("bash", {"command": "x", "cwd": "/"}, "no parameter"),
                              ("str_replace_editor", {"command": "insert", "path": "/x", "insert_line": "two"},
                               "integer")]:
        with pytest.raises(ActionParseError, match=match):
            coerce_arguments(name, args)


def test_tools_text_names_every_tool_and_parameter():
    text = render_tools_text()
    for tool in TOOLS:
        fn = tool["function"]
        assert f"BEGIN FUNCTION: {fn['name']}" in text
        for p in fn["parameters"]["properties"]:
            assert f"({p})" in text
