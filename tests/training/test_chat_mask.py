"""Chat rendering with tool calls and the assistant-only loss mask, on a real SWE-agent trajectory.

Golden file: tests/training/golden/sft_mask_swe_agent.txt shows the templated text with trained
spans between [[TRAIN]] and [[/TRAIN]]. Regenerate with `python scripts/update_goldens.py` and review the diff.
"""

from __future__ import annotations

import pytest
from goldens import check_text
from trainhelp import GOLDEN, load_trajectory

from agentmt.errors import RecordDropped
from agentmt.training.chat import make_template_messages, render_conversation


def show_mask(sample, tokenizer) -> str:
    out, cur = [], 0
    for tok, m in zip(sample.input_ids, sample.assistant_mask):
        if m != cur:
            out.append("[[TRAIN]]" if m else "[[/TRAIN]]")
            cur = m
        out.append(tokenizer.decode([tok]))
    return "".join(out) + ("[[/TRAIN]]" if cur else "")


def test_golden_assistant_mask(tokenizer):
    traj = load_trajectory()
    sample = render_conversation(traj.messages, tokenizer)
    # The same conversation as OpenAI dicts (what a JSONL or an Arrow row gives) renders identically.
    as_dicts = render_conversation([m.to_dict() for m in traj.messages], tokenizer)
    assert (as_dicts.input_ids, as_dicts.assistant_mask) == (sample.input_ids, sample.assistant_mask)
    shown = show_mask(sample, tokenizer)
    check_text(GOLDEN / "sft_mask_swe_agent.txt", shown)
    # Every assistant turn (5) is trained, ending with its end-of-turn token; nothing else is.
    assert shown.count("[[TRAIN]]") == 5
    assert shown.count("<|im_end|>[[/TRAIN]]") == 5
    trained = "".join(tokenizer.decode([t]) for t, m in zip(sample.input_ids, sample.assistant_mask) if m)
    assert "<function=str_replace_editor>" in trained and "<function=submit>" in trained
    assert "<think>" in trained
    assert "ZeroDivisionError: division by zero" not in trained  # a tool result
    assert "pr_description" not in trained and "<|im_start|>" not in trained


def test_tool_calls_become_xml_and_tool_results_user_turns():
    msgs = make_template_messages(load_trajectory().messages)
    assert [m["role"] for m in msgs[:4]] == ["system", "user", "assistant", "user"]
    assert msgs[2]["content"].endswith(
        "<function=bash>\n<parameter=command>\ngrep -rn 'def divide' /testbed\n</parameter>\n</function>"
    )
    # arguments that are not a JSON object stay raw, whatever their type
    from agentmt.training.chat import format_tool_call

    for raw, shown in (("not json", "not json"), ('["a"]', '["a"]'), (["a"], '["a"]')):
        assert format_tool_call({"function": {"name": "f", "arguments": raw}}) == (
            f"<function=f>\n<parameter=arguments>\n{shown}\n</parameter>\n</function>"
        )


def test_truncation_that_cuts_every_assistant_token_drops_the_sample(tokenizer):
    msgs = load_trajectory().messages
    full = render_conversation(msgs, tokenizer)
    first = full.assistant_mask.index(1)
    kept = render_conversation(msgs, tokenizer, max_len=first + 3)
    assert kept.truncated and sum(kept.assistant_mask) == 3
    with pytest.raises(RecordDropped) as e:
        render_conversation(msgs, tokenizer, max_len=first)
    assert e.value.reason == "no_assistant_tokens_after_truncation"


def test_chat_collator_trains_exactly_the_assistant_tokens(tokenizer):
    from agentmt.training.trainer import make_chat_collator

    sample = render_conversation(load_trajectory().messages, tokenizer)
    short = render_conversation(load_trajectory().messages[:3], tokenizer)
    feats = [{"input_ids": s.input_ids, "assistant_mask": s.assistant_mask, "sample_index": i}
             for i, s in enumerate((sample, short))]
    batch = make_chat_collator(tokenizer.pad_token_id)(feats)
    n = len(short.input_ids)
    assert batch["labels"][1, n:].eq(-100).all() and batch["attention_mask"][1, n:].eq(0).all()
    trained = batch["labels"][0].ne(-100).tolist()
    assert trained == [bool(m) for m in sample.assistant_mask]
    assert batch["labels"][0][batch["labels"][0].ne(-100)].tolist() == [
        t for t, m in zip(sample.input_ids, sample.assistant_mask) if m
    ]
