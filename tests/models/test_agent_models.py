"""Agent models: the registry, the OpenAI-format model (tool calls, usage, sampling) and model faults.

Endpoint faults use a transport-level fake (a local HTTP server); the loop needs no container for
them because the tools are installed only on the first tool call.
"""

from __future__ import annotations

import json
import socket
import threading

import pytest
from fake_endpoint import FakeEndpoint, chat_answer

from agentmt.agents import load_agent_config, run_agent
from agentmt.agents.formats import TOOLS
from agentmt.errors import ConfigError, InputError
from agentmt.agents.registry import make_model
from agentmt.models.remote import OpenAIModel
from agentmt.agents.scripted import ScriptedModel
from agentmt.types import Message, TaskInstance

TASK = TaskInstance(instance_id="demo__x-1", repo="demo/x", base_commit="0" * 40, patch="diff --git a/a b/a\n",
                    test_patch="", problem_statement="Fix it.")


def tool_answer(name: str, args: dict, usage: dict | None = None) -> dict:
    call = {"id": "call_a", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
    body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [call]}}]}
    if usage:
        body["usage"] = usage
    return body


def test_registry_names_and_one_line_errors(tmp_path):
    script = tmp_path / "actions.yaml"
    script.write_text("actions:\n  - bash: ls\n  - submit: true\n")
    model = make_model(f"scripted:{script}")
    assert isinstance(model, ScriptedModel) and len(model.actions) == 2 and model.name == f"scripted:{script}"
    assert make_model("gold", task=TASK).name == "gold"
    url = make_model("http://127.0.0.1:9/v1", config={"temperature": 0.2, "seed": 7, "model": "m"})
    assert isinstance(url, OpenAIModel) and url.server == "http://127.0.0.1:9/v1" and url.name == "m"
    assert url.sampling == {"temperature": 0.2, "top_p": 0.95, "max_tokens": 1024, "seed": 7}
    # an AgentConfig carries the model's settings under `model`
    assert make_model("http://h/v1", config=load_agent_config("model.max_tokens=64")).sampling["max_tokens"] == 64
    for spec, kwargs, err in [("nope", {}, ConfigError), ("gold", {}, InputError), ("scripted", {}, ConfigError),
                              (f"scripted:{tmp_path / 'missing.yaml'}", {}, InputError),
                              ("http://h/v1", {"config": {"temperature": -1}}, ConfigError)]:
        with pytest.raises(err) as e:
            make_model(spec, **kwargs)
        assert "\n" not in str(e.value)


def test_openai_model_sends_tools_and_sampling_and_counts_usage():
    usage = {"prompt_tokens": 120, "completion_tokens": 9, "total_tokens": 129}
    with FakeEndpoint([(200, tool_answer("bash", {"command": "ls"}, usage))]) as fake:
        model = OpenAIModel(fake.base_url, "m", sampling={"temperature": 0.0, "seed": 3, "max_tokens": 32})
        msg, stats = model.query([Message("system", "s"), Message("user", "u")], TOOLS)
    assert msg.tool_calls[0].function.name == "bash" and json.loads(msg.tool_calls[0].function.arguments) == {
        "command": "ls"}
    assert msg.content == "" and (stats.prompt_tokens, stats.completion_tokens) == (120, 9)
    sent = fake.posts[0]
    assert sent["tools"] == TOOLS and sent["seed"] == 3 and sent["temperature"] == 0.0 and sent["model"] == "m"
    assert sent["messages"] == [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]


def test_server_500s_end_the_run_as_model_error():
    with FakeEndpoint([(500, {"error": "boom"})]) as fake:
        model = OpenAIModel(fake.base_url, retries=1, backoff=0.01)
        result = run_agent(TASK, None, model, load_agent_config())
    assert result.exit_status == "model_error" and "HTTP 500" in result.error
    assert len(fake.posts) == 2  # one retry, then give up


def test_a_server_that_dies_mid_run_is_a_model_error():
    fake = FakeEndpoint([(200, chat_answer("no call here"))])
    with fake:
        model = OpenAIModel(fake.base_url, retries=1, backoff=0.01, timeout=5)

        class DieAfterFirst:
            name, server, sampling = "m", fake.base_url, {}

            def query(self, messages, tools):
                out = model.query(messages, tools)
                fake.server.shutdown()
                fake.server.server_close()
                return out

        result = run_agent(TASK, None, DieAfterFirst(), load_agent_config())
    # the first answer held no call (a format error, answered), the next request finds no server
    assert result.exit_status == "model_error" and "cannot reach" in result.error
    assert len(result.steps) == 1 and result.messages[-1].role == "user"


@pytest.mark.timeout(60)
def test_a_hanging_server_is_a_model_error():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held = []
    stop = threading.Event()

    def accept():  # accept connections and never answer
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        model = OpenAIModel(f"http://127.0.0.1:{listener.getsockname()[1]}/v1", timeout=1, retries=1, backoff=0.01)
        result = run_agent(TASK, None, model, load_agent_config())
    finally:
        stop.set()
        thread.join()
        for c in held:
            c.close()
        listener.close()
    assert result.exit_status == "model_error" and "ReadTimeout" in result.error


def test_token_budget_from_server_usage_ends_as_limits_exceeded():
    answer = {**chat_answer("thinking, no call"), "usage": {"prompt_tokens": 600, "completion_tokens": 10}}
    with FakeEndpoint([(200, answer)]) as fake:
        model = OpenAIModel(fake.base_url, retries=0)
        result = run_agent(TASK, None, model, load_agent_config("token_budget=1000", "max_format_errors=10"))
    assert result.exit_status == "limits_exceeded" and "token budget" in result.error
    assert len(result.steps) == 2 and result.num_tokens == 1220


def test_context_from_server_usage_ends_as_context_exceeded():
    answer = {**chat_answer("no call"), "usage": {"prompt_tokens": 5000, "completion_tokens": 10}}
    with FakeEndpoint([(200, answer)]) as fake:
        result = run_agent(TASK, None, OpenAIModel(fake.base_url, retries=0),
                           load_agent_config("context_limit_tokens=4000"))
    assert result.exit_status == "context_exceeded" and len(result.steps) == 1


def test_models_and_agent_satisfy_the_protocols_without_inheriting():
    import agentmt
    from agentmt.agents import AGENTS
    from agentmt.agents.gold import GoldModel

    for model in (ScriptedModel([{"submit": True}]), GoldModel(TASK), OpenAIModel("http://127.0.0.1:9/v1")):
        assert isinstance(model, agentmt.Model) and agentmt.Model not in type(model).__mro__
    agent = AGENTS["default"](load_agent_config())
    assert isinstance(agent, agentmt.Agent)


def test_importing_the_agent_stays_cheap():
    import subprocess
    import sys

    code = ("import sys, agentmt, agentmt.agents, agentmt.agents.registry; "
            "print(sorted(m for m in ('docker', 'httpx', 'torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow
def test_url_model_counts_context_with_a_given_tokenizer(embedded_checkpoint):
    from agentmt.models.tokens import ChatTokenCounter

    messages = [Message("system", "You fix bugs."), Message("user", "Fix truncate().")]
    plain = make_model("http://127.0.0.1:9/v1")
    assert plain.count_tokens(messages) is None  # the loop then estimates from server usage
    counted = make_model("http://127.0.0.1:9/v1", config={"tokenizer": str(embedded_checkpoint)})
    n = counted.count_tokens(messages)
    assert n == ChatTokenCounter(str(embedded_checkpoint))(messages) and 10 < n < 60
    longer = counted.count_tokens(messages + [Message("user", "word " * 100)])
    assert longer >= n + 100
