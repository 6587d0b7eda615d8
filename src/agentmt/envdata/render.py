"""The D_env corpus: graded Trajectory shards → SFT chat rows and MT text rows, split pass / fail.

`DIR/sft/{pass,fail}/` rows keep the OpenAI `messages` as recorded (tool calls, tool results,
reasoning), which the SFT stage renders to the same XML text and masks itself; `DIR/mt/{pass,fail}/` rows hold `text` rendered as spec §3.4
says — the system message replaced by the XML-tool system prompt, tool calls as
`<function=…><parameter=…>` text, reasoning as `<think>…</think>`, tool results as user turns —
templated with the chat template of `tokenizer` (use the model you will train) and counted with it.
Nothing is filtered except what cannot be labelled (ungraded runs: `ungraded:<exit_status>`) and
trajectories over `max_tokens` (`too_long`, the paper's 128k). Upsampling (pass ×3) belongs to the
training mixture; here every trajectory is written once. The MT text itself is `rollouts.text`'s.

Tool results keep their text except the wall-clock time test runners print (pytest's
"4 passed in 0.02s", unittest's "Ran 4 tests in 0.003s"), written as `in <duration>`: a model cannot
predict it, and with it two renders of the same runs (a resumed pipeline's, a rerun's) would train on
different text. `mask_durations: false` keeps it.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agentmt import io
from agentmt.config import make_config
from agentmt.rollouts.text import as_dicts, make_mt_text, with_system_prompt, xml_tool_system_prompt
from agentmt.types import Trajectory

SPLITS = ("pass", "fail")
MT_COLUMNS = ("id", "instance_id", "source", "resolved", "exit_status", "num_tokens", "text")
DURATION_MASK = "<duration>"
# a test runner's summary line: pytest's "=== 3 passed, 1 warning in 0.12s (0:00:00) ===" (or -q's bare
# "3 passed in 0.12s") and unittest's "Ran 3 tests in 0.004s"; group 1 is everything before the figure
_TEST_DURATION = re.compile(
    r"(?m)^(Ran \d+ tests? in |.*\b(?:passed|failed|errors?|skipped|deselected|xfailed|xpassed|warnings?"
    r"|no tests ran)\b.*? in )\d+(?:\.\d+)?s(?: \(\d+:\d\d:\d\d\))?")


class EnvRenderConfig(BaseModel):
    """Settings of `agentmt envdata render`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    tokenizer: str = "embedded"
    """Chat template and token counter: "embedded" (SmolLM2) or a local HF tokenizer folder."""
    max_tokens: int = Field(131072, gt=0)
    """Trajectories whose MT text has more tokens are dropped ("too_long"); the paper uses 128k."""
    system_prompt: str | None = None
    """Replaces the trajectory's system message in the MT text; None: the agent's XML-tool system
    prompt (AgentConfig `xml_system_template` with the tool descriptions)."""
    sft_system: Literal["keep", "xml"] = "keep"
    """SFT rows: `keep` the system message the trajectory was run with (the conversation as
    recorded), or `xml` to put the MT system prompt there too (it is ~500 tokens: raise seq_len)."""
    mask_durations: bool = True
    """Write the run time in test runners' summary lines of tool results as `in <duration>`."""


def message_schema():
    """Arrow type of a `messages` column: OpenAI messages with typed tool calls (None where absent)."""
    import pyarrow as pa

    call = pa.struct([("id", pa.string()), ("type", pa.string()),
                      ("function", pa.struct([("name", pa.string()), ("arguments", pa.string())]))])
    return pa.list_(pa.struct([("role", pa.string()), ("content", pa.string()), ("tool_calls", pa.list_(call)),
                               ("tool_call_id", pa.string()), ("name", pa.string()),
                               ("reasoning_content", pa.string())]))


def _schemas():
    import pyarrow as pa

    base = [("id", pa.string()), ("instance_id", pa.string()), ("source", pa.string()),
            ("resolved", pa.bool_()), ("exit_status", pa.string()), ("num_tokens", pa.int64())]
    return {"mt": pa.schema([*base, ("text", pa.string())]),
            "sft": pa.schema([*base, ("model", pa.string()), ("messages", message_schema())])}


def mask_test_durations(text: str) -> str:
    """`text` with the wall-clock figure of every pytest / unittest summary line replaced by `<duration>`."""
    return _TEST_DURATION.sub(lambda m: m.group(1) + DURATION_MASK, text)


def masked_observations(messages) -> list[dict]:
    """OpenAI messages with `mask_test_durations` applied to tool results (only their text)."""
    out = []
    for m in as_dicts(messages):
        if m.get("role") == "tool" and isinstance(m.get("content"), str):
            m = {**m, "content": mask_test_durations(m["content"])}
        out.append(m)
    return out


def make_rows(t: Trajectory, messages: list[dict], text: str, num_tokens: int,
              sft_prompt: str | None) -> tuple[dict, dict]:
    """(MT row, SFT row) of one graded trajectory with its `messages` as rendered; `sft_prompt` None
    keeps the recorded system message."""
    base = {"id": t.id, "instance_id": t.instance_id, "source": t.source, "resolved": bool(t.resolved),
            "exit_status": t.exit_status, "num_tokens": num_tokens}
    messages = with_system_prompt(messages, sft_prompt) if sft_prompt is not None else messages
    return {**base, "text": text}, {**base, "model": t.model, "messages": messages}


def load_env_render_config(*specs: str) -> EnvRenderConfig:
    return make_config(EnvRenderConfig, *specs)


def render_env(rollout_dirs: list[str | Path], out_dir: str | Path, *specs: str) -> io.Manifest:
    """Render every trajectory of ROLLOUT_DIRS into OUT/{mt,sft}/{pass,fail}/part-00000.parquet."""
    from agentmt.corpus.tokenize import count_tokens, load_tokenizer
    from agentmt.rollouts.records import read_trajectories

    cfg = load_env_render_config(*specs)
    out_dir = Path(out_dir)
    manifest = io.Manifest(stage="envdata.render", config=cfg.model_dump(), inputs=[str(d) for d in rollout_dirs])
    tok = load_tokenizer(cfg.tokenizer)
    prompt = cfg.system_prompt if cfg.system_prompt is not None else xml_tool_system_prompt()
    rows: dict[tuple[str, str], list[dict]] = {(k, s): [] for k in ("mt", "sft") for s in SPLITS}
    tokens: Counter = Counter()
    seen: set[str] = set()
    for d in rollout_dirs:
        for t in read_trajectories(d):
            manifest.counts["trajectories_in"] += 1
            if t.resolved is None:
                manifest.drop(f"ungraded:{t.exit_status or 'unknown'}")
                continue
            if t.id in seen:
                manifest.drop("duplicate_id")
                continue
            seen.add(t.id)
            messages = masked_observations(t.messages) if cfg.mask_durations else as_dicts(t.messages)
            text = make_mt_text(messages, tok, prompt)
            (n,) = count_tokens(tok, [text])
            if n > cfg.max_tokens:
                manifest.drop("too_long")
                continue
            split = "pass" if t.resolved else "fail"
            mt_row, sft_row = make_rows(t, messages, text, n, prompt if cfg.sft_system == "xml" else None)
            rows[("mt", split)].append(mt_row)
            rows[("sft", split)].append(sft_row)
            tokens[split] += n
    schemas = _schemas()
    for (kind, split), part in rows.items():
        io.write_parquet(out_dir / kind / split / io.shard_name(0), part, schema=schemas[kind])
        manifest.shards.append(f"{kind}/{split}/{io.shard_name(0)}")
    for split in SPLITS:
        manifest.counts[f"trajectories_{split}"] = len(rows[("mt", split)])
        manifest.counts[f"tokens_{split}"] = tokens[split]
    manifest.extra["system_prompt"] = prompt
    manifest.extra["sources"] = dict(Counter(r["source"] for s in SPLITS for r in rows[("mt", s)]))
    manifest.write(out_dir)
    return manifest
