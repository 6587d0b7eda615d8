"""`agentmt envdata render`: D_env shards → SFT chat rows and spec §3.4 MT text, pass/fail, 128k drop."""

from __future__ import annotations

import copy

import pytest

from agentmt import io
from agentmt.rollouts.records import write_trajectories
from agentmt.sources.demo.trajectories import make_fixture_trajectories


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    from agentmt.envdata.render import render_env

    root = tmp_path_factory.mktemp("envdata")
    runs = make_fixture_trajectories(4)  # 2 resolved, 2 failed
    ungraded = copy.deepcopy(runs[0])
    ungraded.id, ungraded.resolved, ungraded.exit_status = "x/9", None, "environment_error"
    huge = copy.deepcopy(runs[0])
    huge.id = "x/10"
    huge.messages[3].content = "word " * 140_000  # one observation alone is over 128k tokens
    write_trajectories(root / "rollouts" / "part-00000.parquet", [*runs, ungraded, huge])
    replay = copy.deepcopy(runs[0])
    replay.id, replay.source = "x/replay", "replay"
    write_trajectories(root / "replays" / "part-00000.parquet", [replay])
    m = render_env([root / "rollouts", root / "replays"], root / "out")
    return root / "out", m


def test_pass_fail_split_and_drop_reasons(rendered):
    out, m = rendered
    assert m.counts["trajectories_in"] == 7
    assert dict(m.drops) == {"too_long": 1, "ungraded:environment_error": 1}
    for kind in ("mt", "sft"):
        passed = list(io.read_rows(out / kind / "pass"))
        failed = list(io.read_rows(out / kind / "fail"))
        assert sorted(r["id"] for r in passed) == sorted([runs_id(0), runs_id(2), "x/replay"])
        assert sorted(r["id"] for r in failed) == [runs_id(1), runs_id(3)]
        assert all(r["resolved"] for r in passed) and not any(r["resolved"] for r in failed)
    assert {r["source"] for r in io.read_rows(out / "mt" / "pass")} == {"rollout", "replay"}
    assert m.counts["tokens_pass"] == sum(r["num_tokens"] for r in io.read_rows(out / "mt" / "pass"))


def runs_id(k: int) -> str:
    return f"agentmt-demo__calc-7/{k}"


def test_mt_text_follows_spec_3_4(rendered):
    from agentmt.rollouts.text import xml_tool_system_prompt

    out, _ = rendered
    row = next(r for r in io.read_rows(out / "mt" / "pass") if r["id"] == runs_id(0))
    text = row["text"]
    assert xml_tool_system_prompt().split("\n")[0] in text  # the XML-tool system prompt replaced the original
    assert "helpful assistant that can interact" not in text
    assert "<function=bash>\n<parameter=command>\ngrep -rn 'def divide' /testbed\n</parameter>\n</function>" in text
    assert "<think>\nI should find where divide is defined.\n</think>" in text
    assert "<|im_start|>tool" not in text and "<|im_start|>user\n/testbed/calc/ops.py:5:def divide" in text
    assert 100 < row["num_tokens"] < 5000


def test_sft_rows_train_with_the_existing_sft_rendering(rendered):
    from agentmt.corpus.tokenize import load_tokenizer
    from agentmt.training.chat import render_conversation
    from agentmt.training.config import SourceConfig
    from agentmt.training.data import MixDoc, doc_messages, load_source

    out, _ = rendered
    manifest = io.Manifest(stage="t")
    rows = load_source(SourceConfig(path="sft/pass", kind="env"), manifest, root=out)
    assert len(rows) == 3
    msgs = doc_messages(MixDoc(rows[0]["id"], "env", rows[0]))
    assert msgs[2]["tool_calls"][0]["function"]["name"] == "bash" and msgs[3]["tool_call_id"] == "call_1"
    assert msgs[0]["content"].startswith("You are a helpful assistant"), "SFT keeps the recorded system turn"
    sample = render_conversation(msgs, load_tokenizer("embedded"))
    assert 0 < sum(sample.assistant_mask) < len(sample.input_ids)


def test_sft_rows_can_take_the_xml_system_prompt(tmp_path):
    from agentmt.envdata.render import render_env
    from agentmt.rollouts.text import xml_tool_system_prompt

    write_trajectories(tmp_path / "r" / "part-00000.parquet", make_fixture_trajectories(1))
    render_env([tmp_path / "r"], tmp_path / "out", "sft_system=xml")
    (row,) = io.read_rows(tmp_path / "out" / "sft" / "pass")
    assert row["messages"][0] == {**row["messages"][0], "role": "system", "content": xml_tool_system_prompt()}


def test_test_runner_durations_are_masked_in_tool_results_only(tmp_path):
    """Two renders of one run whose test output differs only in the printed run time give the same
    rows (a resumed pipeline's MT packs and SFT weights depend on it); other text is kept as recorded."""
    from agentmt.envdata.render import render_env

    def runs(seconds: str):
        t = copy.deepcopy(make_fixture_trajectories(1)[0])
        t.messages[3].content = (f"============ 3 passed, 1 warning in {seconds}s (0:00:01) ============\n"
                                 f"3 passed in {seconds}s\nRan 3 tests in {seconds}s\nsleeping in 5s\n")
        t.messages[2].content = "The run took 3 passed in 0.5s, I think."  # an assistant turn: kept
        return [t]

    texts = {}
    for seconds in ("0.02", "1.25"):
        write_trajectories(tmp_path / seconds / "r" / "part-00000.parquet", runs(seconds))
        render_env([tmp_path / seconds / "r"], tmp_path / seconds / "out")
        mt = next(io.read_rows(tmp_path / seconds / "out" / "mt" / "pass"))
        sft = next(io.read_rows(tmp_path / seconds / "out" / "sft" / "pass"))
        texts[seconds] = (mt["text"], sft["messages"][3]["content"])
    assert texts["0.02"] == texts["1.25"]
    mt_text, observation = texts["0.02"]
    assert observation == ("============ 3 passed, 1 warning in <duration> ============\n"
                           "3 passed in <duration>\nRan 3 tests in <duration>\nsleeping in 5s\n")
    assert "The run took 3 passed in 0.5s" in mt_text

    write_trajectories(tmp_path / "raw" / "r" / "part-00000.parquet", runs("0.02"))
    render_env([tmp_path / "raw" / "r"], tmp_path / "raw" / "out", "mask_durations=false")
    assert "in 0.02s (0:00:01)" in next(io.read_rows(tmp_path / "raw" / "out" / "sft" / "pass"))["messages"][3]["content"]
