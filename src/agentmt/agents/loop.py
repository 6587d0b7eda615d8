"""The agent loop: prompt → model → action → container → observation, until an exit condition.

Guarantees: `run_agent` never raises for anything a run can hit (model errors, bad output,
dead containers, limits); it returns an `AgentResult` whose `exit_status` is one of
`exceptions.EXIT_STATUSES`. Messages are kept canonically (OpenAI `tool_calls` + `tool` turns)
whatever the action format; `render_for_model` turns them into what an XML-format model reads.
"""

from __future__ import annotations

import json
import math
import time

from agentmt.agents.config import AgentConfig, load_agent_config
from agentmt.agents.exceptions import (AgentExit, ContextExceeded, EnvironmentFailed, FormatError, LimitsExceeded,
                                       ModelFailed, Submitted, WallTimeout)
from agentmt.agents.formats import (TOOLS, ActionParseError, coerce_arguments, parse_xml_calls, render_for_model,
                                    render_tools_text)
from agentmt.agents.result import AgentResult
from agentmt.agents.tools import ToolBox
from agentmt.errors import EndpointError
from agentmt.types import FunctionCall, Message, StepStats, TaskInstance, ToolCall

EMPTY_OUTPUT = "The command ran successfully and printed nothing."  # an empty turn confuses models

__all__ = ["AgentConfig", "AgentResult", "DefaultAgent", "load_agent_config", "render_for_model", "run_agent"]


class DefaultAgent:
    """SWE-agent-style loop over `ToolBox`; one instance per run (it holds the run's state)."""

    def __init__(self, config: AgentConfig):
        self.config = config
        self.messages: list[Message] = []
        self.steps: list[StepStats] = []
        self.model_s = self.tool_s = 0.0

    def run(self, task: TaskInstance, env, model) -> AgentResult:
        cfg, start = self.config, time.monotonic()
        self.deadline = start + cfg.wall_limit_s
        # "auto": the model's own preference (the embedded model has no tool template), else native tool calls
        self.format = getattr(model, "action_format", None) or "tool_calls" if cfg.action_format == "auto" \
            else cfg.action_format
        tools = ToolBox(env, base_commit=task.base_commit, workdir=cfg.workdir, timeout_s=cfg.command_timeout_s,
                        head_chars=cfg.output_head_chars, tail_chars=cfg.output_tail_chars)
        fields = {"problem_statement": task.problem_statement, "repo": task.repo, "workdir": cfg.workdir,
                  "instance_id": task.instance_id, "base_commit": task.base_commit}
        system = cfg.xml_system_template.replace("{tools}", render_tools_text()) if self.format == "xml" \
            else cfg.system_template
        self.messages = [Message("system", system), Message("user", cfg.instance_template.format(**fields))]
        status, submission, error = "", "", ""
        try:
            errors = 0
            while True:
                calls = self._step(model)
                if calls is None:
                    errors += 1
                    if errors >= cfg.max_format_errors:
                        raise FormatError(f"{errors} consecutive outputs without a valid tool call")
                    continue
                errors = 0
                for call_id, name, args in calls:
                    self._act(tools, call_id, name, args)
        except Submitted as e:
            status, submission = e.exit_status, e.submission
            self.messages.append(Message("tool", submission or "Submitted an empty diff.",
                                         tool_call_id=self._pending_id, name="submit"))
            self._answer_pending("Not run: the task was submitted.")
        except AgentExit as e:
            status, error = e.exit_status, str(e)
            self._answer_pending(f"The run ended before this call ran: {error}")
            if not isinstance(e, EnvironmentFailed):
                submission = self._autosubmit(tools)
        finally:
            tools.close()
        return AgentResult(self.messages, status, submission, self.steps,
                           {"model_s": self.model_s, "tool_s": self.tool_s, "wall_s": time.monotonic() - start},
                           error)

    def _step(self, model) -> list[tuple[str, str, dict]] | None:
        """One model call; the validated calls, or None after recording a format error."""
        cfg = self.config
        self._check_limits(model)
        wire = render_for_model(self.messages, self.format)
        t0 = time.monotonic()
        try:
            msg, stats = model.query(wire, TOOLS if self.format == "tool_calls" else None)
        except EndpointError as e:
            raise ModelFailed(str(e)) from e
        except Exception as e:  # the run's boundary: any model failure ends this run, never the stage
            raise ModelFailed(f"{type(e).__name__}: {e}") from e
        finally:
            self.model_s += time.monotonic() - t0
        stats.model_time_s = stats.model_time_s or time.monotonic() - t0
        self.steps.append(stats)
        if stats.prompt_tokens + stats.completion_tokens > cfg.context_limit_tokens:
            self.messages.append(msg)
            raise ContextExceeded(f"{stats.prompt_tokens + stats.completion_tokens} tokens in context")
        n = len(self.steps)
        try:
            calls = [(c.id, c.function.name, coerce_arguments(c.function.name, c.function.arguments))
                     for c in msg.tool_calls]
            if not calls:  # XML text (the xml format, or a tool_calls model that wrote text)
                thought, parsed = parse_xml_calls(msg.content or "")
                if not parsed:
                    raise ActionParseError("no tool call found")
                calls = [(f"call_{n}_{i}", p.name, coerce_arguments(p.name, p.arguments))
                         for i, p in enumerate(parsed)]
                tool_calls = [ToolCall(i, FunctionCall(name, json.dumps(a))) for i, name, a in calls]
                msg = Message("assistant", thought, tool_calls, reasoning_content=msg.reasoning_content)
        except ActionParseError as e:
            self.messages.append(msg)
            self._queried_len = len(self.messages)
            text = cfg.format_error_template.format(error=str(e))
            # every tool_call_id needs an answer in the OpenAI format, so the error goes there when there are ids
            self.messages += [Message("tool", text, tool_call_id=c.id, name=c.function.name)
                              for c in msg.tool_calls] or [Message("user", text)]
            return None
        self.messages.append(msg)
        self._queried_len = len(self.messages)
        return calls

    def _act(self, tools: ToolBox, call_id: str, name: str, args: dict) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0 and name != "submit":  # submitting is cheap and keeps the work done so far
            raise WallTimeout(f"wall-clock limit of {self.config.wall_limit_s:.0f}s reached")
        self._pending_id = call_id
        t0 = time.monotonic()
        try:
            out, rc = tools.call(name, args, timeout_s=max(1, math.ceil(remaining)))
        finally:
            dt = time.monotonic() - t0
            self.tool_s += dt
            self.steps[-1].tool_time_s += dt
        if name == "bash" and rc != 0:
            out += f"\n[exit code {rc}]"
        self.messages.append(Message("tool", out or EMPTY_OUTPUT, tool_call_id=call_id, name=name))

    def _answer_pending(self, text: str) -> None:
        """Give every unanswered tool call of the last assistant turn a result (OpenAI's format needs one)."""
        roles = [m.role for m in self.messages]
        last = len(roles) - 1 - roles[::-1].index("assistant") if "assistant" in roles else None
        if last is None:
            return
        answered = {m.tool_call_id for m in self.messages[last + 1:]}
        self.messages += [Message("tool", text, tool_call_id=c.id, name=c.function.name)
                          for c in self.messages[last].tool_calls if c.id not in answered]

    def _check_limits(self, model) -> None:
        cfg = self.config
        if time.monotonic() >= self.deadline:
            raise WallTimeout(f"wall-clock limit of {cfg.wall_limit_s:.0f}s reached")
        if len(self.steps) >= cfg.step_limit:
            raise LimitsExceeded(f"step limit of {cfg.step_limit} reached")
        prompt = sum(s.prompt_tokens for s in self.steps)
        completion = sum(s.completion_tokens for s in self.steps)
        if cfg.token_budget is not None and prompt + completion >= cfg.token_budget:
            raise LimitsExceeded(f"token budget of {cfg.token_budget} reached")
        cost = (prompt * cfg.cost_per_million_prompt_tokens
                + completion * cfg.cost_per_million_completion_tokens) / 1e6
        if cfg.cost_limit is not None and cost >= cfg.cost_limit:
            raise LimitsExceeded(f"cost limit of {cfg.cost_limit} reached ({cost:.4f})")
        tokens = self._context_tokens(model)
        if tokens > cfg.context_limit_tokens:
            raise ContextExceeded(f"{tokens} tokens in context, limit {cfg.context_limit_tokens}")

    def _context_tokens(self, model) -> int:
        """The model's own tokenizer when it has one; else the server's last usage plus ~4 characters a
        token for the turns after it (a documented approximation for remote models)."""
        counter = getattr(model, "count_tokens", None)
        n = counter(render_for_model(self.messages, self.format)) if counter else None
        if n is not None:
            return n
        last = self.steps[-1] if self.steps else None
        known = last.prompt_tokens + last.completion_tokens if last and last.prompt_tokens else 0
        tail = self.messages[self._queried_len:] if known else self.messages
        chars = sum(len(m.content or "") + sum(len(c.function.arguments) for c in m.tool_calls) for m in tail)
        return known + chars // 4

    _queried_len = 0  # messages present when the last answer came back (its usage counts them all)
    _pending_id: str | None = None

    def _autosubmit(self, tools: ToolBox) -> str:
        """The working tree's diff when a run ends without `submit` (graded like SWE-agent's autosubmission)."""
        try:
            return tools.submission() if tools._installed else ""
        except AgentExit:
            return ""


def run_agent(task: TaskInstance, env, model, config: AgentConfig | None = None) -> AgentResult:
    """Run the default agent once on `task` inside `env` (a running task container) with `model`."""
    return DefaultAgent(config or load_agent_config()).run(task, env, model)
