"""A full rollout with the real embedded model (SmolLM2-135M served by `transformers serve`)."""

from __future__ import annotations

import pytest

from agentmt.agents import EXIT_STATUSES
from agentmt.rollouts.records import read_trajectories

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.mark.timeout(1500)
def test_embedded_model_rollout_is_recorded_and_graded(demo_task_set, embedded_checkpoint, tmp_path):
    from agentmt.environments.tasks import write_tasks_jsonl
    from agentmt.rollouts.stage import run_rollouts

    _, tasks = demo_task_set
    write_tasks_jsonl(tasks[:1], tmp_path / "one.jsonl")
    m = run_rollouts(tmp_path / "one.jsonl", tmp_path / "out", "model=embedded", "k=1", "seed=7",
                     "agent.step_limit=1", "sampling.max_tokens=24", "sampling.timeout_s=600")
    (t,) = list(read_trajectories(tmp_path / "out"))
    assert t.source == "rollout" and t.exit_status in EXIT_STATUSES and t.exit_status != "environment_error"
    assert t.model.endswith("SmolLM2-135M-Instruct") and t.server.startswith("http://127.0.0.1:")
    assert t.sampling["max_tokens"] == 24 and t.seed == 7 == t.sampling["seed"]
    assert [m.role for m in t.messages][:3] == ["system", "user", "assistant"]
    assert "<function=" in t.messages[0].content, "the embedded model is prompted in the XML action format"
    assert t.steps and t.steps[0].prompt_tokens > 100 and 0 < t.steps[0].completion_tokens <= 24
    assert t.num_tokens == sum(s.prompt_tokens + s.completion_tokens for s in t.steps)
    assert t.resolved is not None and m.extra["exit_status"] == {t.exit_status: 1}
