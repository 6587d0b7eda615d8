"""The real loop against real task containers, driven by the scripted and gold models."""

from __future__ import annotations

import pytest

from agentmt.agents import EXIT_STATUSES, load_agent_config, run_agent
from agentmt.environments.harness import run_grading
from agentmt.agents.registry import make_model
from agentmt.agents.scripted import ScriptedModel

pytestmark = pytest.mark.docker

FIX = {"tool": "str_replace_editor", "thought": "Cut the text so the suffix fits.",
       "arguments": {"command": "str_replace", "path": "/testbed/textkit/strings.py",
                     "old_str": "    return text[:width].rstrip() + suffix",
                     "new_str": "    if width <= len(suffix):\n        return suffix[:width]\n"
                                "    return text[: width - len(suffix)].rstrip() + suffix"}}


@pytest.mark.parametrize("fmt", ["tool_calls", "xml"])
def test_scripted_fix_is_submitted_and_resolves(task, env, fmt):
    model = ScriptedModel([
        {"bash": "grep -n 'def truncate' -A 6 textkit/strings.py"},
        {"tool": "str_replace_editor", "arguments": {"command": "view", "path": "/testbed/textkit/strings.py",
                                                     "view_range": [15, 22]}},
        FIX,
        {"submit": True},
    ])
    result = run_agent(task, env, model, load_agent_config(f"action_format={fmt}"))
    assert result.exit_status == "submitted", result.error
    assert [m.role for m in result.messages] == ["system", "user"] + ["assistant", "tool"] * 4
    if fmt == "xml":
        assert "<function=" in result.messages[0].content and "{tools}" not in result.messages[0].content
    for call_msg, obs in zip(result.messages[2::2], result.messages[3::2], strict=True):
        assert obs.tool_call_id == call_msg.tool_calls[0].id
    assert "def truncate" in result.messages[3].content
    assert "suffix[:width]" in result.submission and "tests/" not in result.submission
    assert len(result.steps) == 4 and result.timings["tool_s"] > 0
    report = run_grading(task, task.validation["image"]["tag"], result.submission)[task.instance_id]
    assert report["resolved"], report


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_gold_replay_resolves_every_demo_task(demo_tasks):
    from agentmt.environments.runtime import DockerEnvironment

    resolved = []
    for t in demo_tasks:
        with DockerEnvironment(t.validation["image"]["tag"]) as env:
            result = run_agent(t, env, make_model("gold", task=t), load_agent_config())
        assert result.exit_status == "submitted", (t.instance_id, result.error)
        report = run_grading(t, t.validation["image"]["tag"], result.submission)[t.instance_id]
        resolved.append(report["resolved"])
    assert all(resolved) and len(resolved) == len(demo_tasks)


def test_malformed_output_ends_as_format_error(task, env):
    model = ScriptedModel([{"raw": "I think I should look around."}, {"raw": "<function=bash><parameter=command>ls"},
                           {"raw": '<function=nope></function>'}, {"bash": "never reached"}])
    result = run_agent(task, env, model, load_agent_config("max_format_errors=3"))
    assert result.exit_status == "format_error"
    errors = [m.content for m in result.messages if m.role == "user"][1:]
    assert len(errors) == 3
    assert "no tool call found" in errors[0] and "not closed" in errors[1] and "unknown tool" in errors[2]
    assert model.index == 3


def test_a_format_error_then_a_valid_call_recovers(task, env):
    model = ScriptedModel([{"raw": "hmm"}, {"bash": "echo ok"}, {"raw": "hmm"}, {"submit": True}])
    result = run_agent(task, env, model, load_agent_config("max_format_errors=2"))
    assert result.exit_status == "submitted"


def test_step_limit_autosubmits_the_working_tree(task, env):
    model = ScriptedModel([FIX, {"bash": "echo 1"}, {"bash": "echo 2"}, {"submit": True}])
    result = run_agent(task, env, model, load_agent_config("step_limit=2"))
    assert result.exit_status == "limits_exceeded" and "step limit" in result.error
    assert "suffix[:width]" in result.submission


def test_context_limit_and_wall_limit(task, env):
    result = run_agent(task, env, ScriptedModel([{"submit": True}]), load_agent_config("context_limit_tokens=50"))
    assert result.exit_status == "context_exceeded" and result.steps == []
    model = ScriptedModel([{"bash": "sleep 300"}, {"submit": True}])
    result = run_agent(task, env, model, load_agent_config("wall_limit_s=4"))
    assert result.exit_status == "timeout"
    assert "timed out" in result.messages[-1].content
    assert result.timings["wall_s"] < 60


def test_deleting_testbed_and_editing_tests_still_ends_with_a_status(task, env):
    model = ScriptedModel([{"bash": "echo '# cheat' >> tests/test_strings.py && rm -rf /testbed"},
                           {"bash": "pwd; ls /testbed"}, {"submit": True}])
    result = run_agent(task, env, model, load_agent_config())
    assert result.exit_status == "submitted" and result.submission == ""
    assert "No such file" in result.messages[5].content


def test_a_container_that_exits_ends_as_environment_error(task, env):
    class KillAfterFirst(ScriptedModel):
        def query(self, messages, tools):
            if self.index == 1:
                env.container.kill()  # the container dies under the agent (OOM kill, daemon restart)
            return super().query(messages, tools)

    result = run_agent(task, env, KillAfterFirst([{"bash": "echo 1"}, {"bash": "echo 2"}, {"submit": True}]),
                       load_agent_config())
    assert result.exit_status == "environment_error"
    assert result.submission == ""


def test_every_exit_is_a_known_status():
    assert set(EXIT_STATUSES) == {"submitted", "limits_exceeded", "format_error", "context_exceeded", "timeout",
                                  "environment_error", "model_error"}


def test_observations_say_exit_codes_and_empty_output_and_every_call_is_answered(task, env):
    model = ScriptedModel([{"bash": "true"}, {"bash": "echo oops; exit 3"},
                           {"raw": "Two calls at once.\n<function=bash><parameter=command>echo a</parameter></function>"
                                   "<function=submit></function><function=bash><parameter=command>echo b"
                                   "</parameter></function>"}])
    result = run_agent(task, env, model, load_agent_config("action_format=xml"))
    assert result.exit_status == "submitted"
    tool_turns = [m for m in result.messages if m.role == "tool"]
    assert tool_turns[0].content == "The command ran successfully and printed nothing."
    assert tool_turns[1].content == "oops\n\n[exit code 3]"
    assert tool_turns[2].content == "a\n"
    assert tool_turns[4].content.startswith("Not run") and tool_turns[4].name == "bash"
    last = result.messages[-4]
    assert last.role == "assistant" and last.content == "Two calls at once." and len(last.tool_calls) == 3
    assert [m.tool_call_id for m in tool_turns[2:]] == [c.id for c in last.tool_calls]
