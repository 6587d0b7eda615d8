"""A full rollout with the real embedded model (SmolLM2-135M served by `transformers serve`) in a real container."""

from __future__ import annotations

import pytest

from agentmt.agents import EXIT_STATUSES, load_agent_config, run_agent
from agentmt.agents.formats import render_for_model
from agentmt.agents.registry import make_model
from agentmt.models.server import port_is_open


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.timeout(900)
def test_full_rollout_with_the_embedded_model(task, env, embedded_checkpoint):
    model = make_model(f"embedded:{embedded_checkpoint}",
                       config={"max_tokens": 48, "temperature": 0.0, "seed": 0, "threads": 1})
    assert model.action_format == "xml"  # its chat template has no tool support
    try:
        result = run_agent(task, env, model, load_agent_config("step_limit=2"))
        url = model.server
        first_prompt = model.count_tokens(render_for_model(result.messages[:2], "xml"))
    finally:
        model.close()
    assert result.exit_status in EXIT_STATUSES, result.error
    assert result.exit_status != "model_error", result.error
    assert "<function=bash>" in result.messages[0].content  # the XML-tool system prompt
    replies = [m for m in result.messages if m.role == "assistant"]
    assert replies and all((m.content or "").strip() or m.tool_calls for m in replies)
    assert 1 <= len(result.steps) <= 2 and all(s.completion_tokens > 0 for s in result.steps)
    # the local tokenizer counts the prompt exactly as the server did
    assert first_prompt == result.steps[0].prompt_tokens
    host, port = url.split("//")[1].split("/")[0].split(":")
    assert not port_is_open(host, int(port))
