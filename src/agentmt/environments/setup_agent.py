"""The validate stage's setup agent: when a task's tests do not run, an agent tries to make them run.

Doing and judging are apart. The agent (the rollouts' scaffold, any model `make_model` takes) works
in a container of the task's image with the test patch applied; its `bash` commands that exited 0
(and files it made with the editor's `create`) are the candidate recipe (`make_setup_commands`,
pure). A run that changed a file git tracks, or added a test file, is rejected. The judge then
replays only those commands in fresh containers (a `docker build` FROM the task image, the same
lines `make_task_dockerfile` writes for a task whose record has `install.setup_commands`), checks
the replay left the tracked files alone, and runs validation normally (before/after the gold
patch). Only a task that then validates keeps the commands; otherwise the original drop stands and
the trajectory, replay log and replay phases are kept on the task for `agentmt env explain`.
"""

from __future__ import annotations

import base64
import re
import shlex
import tempfile
import time
from pathlib import Path
from typing import Any

from agentmt.config import load_prompt_templates
from agentmt.environments.config import EnvConfig
from agentmt.errors import InfrastructureError, RecordDropped
from agentmt.types import Message, TaskInstance

SOURCE = "setup_agent"  # appended to install["sources"] of a task the agent fixed
FIXED, NO_COMMANDS, REJECTED, REPLAY_FAILED, STILL_DROPPED = (
    "fixed", "no_commands", "rejected_tracked_changes", "replay_failed", "still_dropped")
RETRIED = ("environment_error", "model_error")  # infrastructure: the unit is left unmarked, retried next run
LOG_TAIL = 4000

_EXIT_SUFFIX = re.compile(r"\n\[exit code -?\d+\]\s*$")  # what the loop appends to a failed bash result
_CREATED = "File created successfully at:"  # the editor's answer to a `create` that worked
_SEGMENTS = re.compile(r"&&|\|\||;|\||\n")
_READ_ONLY = {"ls", "cat", "head", "tail", "grep", "egrep", "fgrep", "rg", "pwd", "which", "echo", "env",
              "printenv", "wc", "file", "stat", "tree", "less", "more", "type", "id", "whoami", "uname", "du",
              "df", "diff", "cmp", "sort", "uniq", "true", "readlink", "realpath", "nl", "date", "cd"}
_READ_ONLY_SUB = {"git": {"status", "diff", "log", "show", "ls-files", "branch", "rev-parse", "blame", "grep"},
                  "pip": {"list", "show", "freeze", "check", "--version", "-V", "help"}}


# ---------------------------------------------------------------------------------------------
# Pure parts: which commands make the recipe, what the agent is told, what changed


def _words(segment: str) -> list[str]:
    try:
        words = shlex.split(segment)
    except ValueError:
        return segment.split()
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):  # VAR=value prefixes
        words = words[1:]
    if words[:1] == ["timeout"]:  # timeout [-k N] [-s SIG] DURATION COMMAND...
        i = 1
        while i < len(words) and words[i].startswith("-"):
            i += 2 if words[i] in ("-k", "-s", "--kill-after", "--signal") else 1
        words = words[i + 1:]
    return words


def _runs_tests(words: list[str]) -> bool:
    if not words:
        return False
    first = words[0].rsplit("/", 1)[-1]
    if first in ("pytest", "py.test", "tox", "nox") or any(w.endswith(("runtests.py", "run_tests.sh")) for w in words):
        return True
    return bool(re.match(r"python[0-9.]*$", first)) and words[1:2] == ["-m"] and words[2:3] in (["pytest"], ["unittest"])


def _reads_only(words: list[str]) -> bool:
    if not words:
        return True
    first = words[0].rsplit("/", 1)[-1]
    if first == "find":
        return not any(w in ("-delete", "-exec", "-execdir", "-ok", "-fprint") for w in words)
    if re.match(r"python[0-9.]*$", first):
        if words[1:2] in (["--version"], ["-V"]):
            return True
        first, words = ("pip", words[2:]) if words[1:3] == ["-m", "pip"] else (first, words)
    if first == "sed":
        return "-i" not in words and not any(w.startswith("-i") for w in words)
    if first in _READ_ONLY_SUB:
        return len(words) > 1 and words[1] in _READ_ONLY_SUB[first]
    return first in _READ_ONLY


def is_setup_command(command: str) -> bool:
    """Whether a command that succeeded belongs in the recipe: not a test run (it needs the test
    files, which come after the replay) and not a plain inspection (ls, cat, git status, pip list)."""
    segments = [s.strip() for s in _SEGMENTS.split(command) if s.strip()]
    if not segments or any(_runs_tests(_words(s)) for s in segments):
        return False
    plain = not re.search(r"[<>`]|\$\(", command)  # no redirection or substitution: nothing written
    return not (plain and all(_reads_only(_words(s)) for s in segments))


def make_write_command(path: str, text: str) -> str:
    """A shell command that writes `text` to `path` exactly (the replay of an editor `create`)."""
    data = base64.b64encode(text.encode("utf-8")).decode()
    folder = path.rsplit("/", 1)[0] or "/"
    return f"mkdir -p {shlex.quote(folder)} && printf %s {data} | base64 -d > {shlex.quote(path)}"


def make_setup_commands(messages: list[Message]) -> list[str]:
    """The recipe an agent run found: its `bash` commands that exited 0 and are setup steps
    (`is_setup_command`), and its editor `create`s as file writes, in the order they ran."""
    import json

    results = {m.tool_call_id: m.content or "" for m in messages if m.role == "tool" and m.tool_call_id}
    out: list[str] = []
    for m in messages:
        for call in m.tool_calls if m.role == "assistant" else []:
            result = results.get(call.id)
            try:
                args = json.loads(call.function.arguments or "{}")
            except ValueError:
                continue
            if result is None or not isinstance(args, dict):
                continue  # never ran (the run ended first) or unparsable
            if call.function.name == "bash" and isinstance(args.get("command"), str):
                if not _EXIT_SUFFIX.search(result) and is_setup_command(args["command"]):
                    out.append(args["command"].strip())
            elif call.function.name == "str_replace_editor" and args.get("command") == "create" \
                    and result.startswith(_CREATED) and isinstance(args.get("file_text"), str):
                out.append(make_write_command(str(args.get("path")), args["file_text"]))
    return out


def make_changed_files(diff_names: str, untracked: str) -> list[str]:
    """Files a setup run must not have touched: tracked files that differ, new test files (pure)."""
    from agentmt.environments.tasks import is_test_path

    changed = [p.strip() for p in diff_names.splitlines() if p.strip()]
    new_tests = [p.strip() for p in untracked.splitlines() if p.strip().endswith(".py") and is_test_path(p.strip())]
    return sorted(set(changed + new_tests))


def load_templates(path: str = "") -> dict[str, str]:
    """The setup agent's prompts: `path`, else the built-in prompts/setup_agent.yaml."""
    return load_prompt_templates(path, "setup_agent", ("system", "xml_system", "instance"))


def test_command(task: TaskInstance) -> str:
    from agentmt.environments.grading import test_targets

    cmd = task.install.get("test_cmd") or "python -m pytest -rA -p no:cacheprovider"
    return " ".join([cmd, *map(shlex.quote, test_targets(task))])


def make_agent_config(cfg: EnvConfig, templates: dict[str, str]):
    """The agent's config: the rollouts' defaults, the setup prompts and the setup agent's limits."""
    from agentmt.agents.config import AgentConfig, load_agent_config
    from agentmt.config import deep_merge, make_config

    sa = cfg.setup_agent
    base = load_agent_config().model_dump()
    over = {**sa.agent, "system_template": templates["system"], "xml_system_template": templates["xml_system"],
            "instance_template": "{problem_statement}", "step_limit": sa.step_limit,
            "wall_limit_s": sa.wall_limit_s, "command_timeout_s": sa.command_timeout_s,
            "model": {**sa.agent.get("model", {}), **sa.sampling}}
    return make_config(AgentConfig, defaults=deep_merge(base, over))


def check_setup_agent(cfg: EnvConfig) -> None:
    """Fail up front (ConfigError/InputError) on prompts, agent keys or a model spec that cannot work."""
    from agentmt.agents.registry import make_model

    agent_cfg = make_agent_config(cfg, load_templates(cfg.setup_agent.prompts))
    if not cfg.setup_agent.model.startswith("embedded"):  # embedded would start converting a checkpoint
        make_model(cfg.setup_agent.model, config=agent_cfg).close()


# ---------------------------------------------------------------------------------------------
# Doing: the agent in a task container


def _sh(env, command: str) -> str:
    out, rc = env.execute(command)
    if rc != 0:
        raise InfrastructureError(f"setup agent: `{command[:80]}` failed in {env.name} (exit {rc}): {out[-300:]}")
    return out


def run_setup_agent(task: TaskInstance, image: str, reason: str, log_tail: str, cfg: EnvConfig) -> dict[str, Any]:
    """One agent run in a container of `image` (test patch applied); the commands it found, the files
    it changed that it must not have, and its trajectory."""
    from agentmt.agents.loop import DefaultAgent
    from agentmt.environments.grading import make_test_script, patch_files
    from agentmt.environments.harness import PATCH_DIR, apply_patch
    from agentmt.environments.images import VENV
    from agentmt.environments.runtime import DockerEnvironment, task_runtime
    from agentmt.agents.registry import make_model
    from agentmt.secrets import redact_text

    sa, templates = cfg.setup_agent, load_templates(cfg.setup_agent.prompts)
    agent_cfg = make_agent_config(cfg, templates)
    script = f"{PATCH_DIR}/run_tests.sh"
    prompt = templates["instance"].format(
        repo=task.repo, workdir=agent_cfg.workdir, base_commit=task.base_commit, venv=VENV, reason=reason,
        test_command=test_command(task), test_script=script, log_tail=log_tail.strip()[-LOG_TAIL:] or "(empty)")
    setup_task = TaskInstance.from_dict({**task.to_dict(), "problem_statement": prompt})
    runtime = cfg.runtime.model_copy(update={"timeout_s": max(cfg.runtime.timeout_s, sa.command_timeout_s)})
    model = make_model(sa.model, task=task, config=agent_cfg)
    start = time.monotonic()
    try:
        with DockerEnvironment(image, task_runtime(runtime, task.install)) as env:
            ok, log = apply_patch(env, task.test_patch, "test")
            if not ok:  # it applied when the task was validated: the container is not what was built
                raise InfrastructureError(f"test patch of {task.instance_id} did not apply: {log[-300:]}")
            # the tree the agent starts from (base + test patch): what it must leave as it found it
            files = " ".join(shlex.quote(p) for p in patch_files(task.test_patch))
            snap = _sh(env, f"git add -A -- {files} && git write-tree").strip()
            env.write_file(script, make_test_script(task, cfg.test_timeout_s))
            result = DefaultAgent(agent_cfg).run(setup_task, env, model)
            changed = _changed_files(env, snap) if result.exit_status != "environment_error" else []
    finally:
        model.close()
    # a URL model's name is its base URL, credentials included; its errors may quote it
    return {"exit_status": result.exit_status, "error": redact_text(result.error or ""),
            "model": redact_text(model.name),
            "commands": make_setup_commands(result.messages), "changed_files": changed,
            "steps": len(result.steps), "seconds": round(time.monotonic() - start, 2),
            "messages": [m.to_dict() for m in result.messages]}


def _changed_files(env, tree: str) -> list[str]:
    diff = _sh(env, f"git diff --name-only --no-renames {shlex.quote(tree)}")
    return make_changed_files(diff, _sh(env, "git ls-files --others -- '*.py'"))


# ---------------------------------------------------------------------------------------------
# Judging: replay in fresh containers, then validate as usual


def build_replay_image(task: TaskInstance, image: str) -> tuple[str, str]:
    """(tag, build log) of `image` plus the task's setup commands, one `RUN` each; the tag is the one
    `env build` gives the task record, so a rebuild from the record lands on the same name.
    Raises ImageBuildError (with the log) when a command fails on replay."""
    from agentmt.environments.images import docker_build, make_instance_label, make_setup_lines, make_task_tag

    tag = make_task_tag(task, task.validation["image"]["env_tag"])
    lines = [f"FROM {image}", *make_setup_lines(task.install["setup_commands"]), make_instance_label(task)]
    with tempfile.TemporaryDirectory(prefix="agentmt-setupctx-") as tmp:
        (Path(tmp) / "Dockerfile").write_text("\n".join(lines) + "\n")
        return tag, docker_build(Path(tmp), tag, network_host=False)


def replay_changes(task: TaskInstance, tag: str, cfg: EnvConfig) -> list[str]:
    """What the replayed commands changed that they must not have (HEAD moved, tracked or test files)."""
    from agentmt.environments.runtime import DockerEnvironment, task_runtime

    with DockerEnvironment(tag, task_runtime(cfg.runtime, task.install)) as env:
        head = _sh(env, "git rev-parse HEAD").strip()
        changed = _changed_files(env, "HEAD")
    return changed + ([f"HEAD moved to {head}"] if head != task.base_commit else [])


def _remove_image(tag: str) -> None:
    from agentmt.environments import dockerapi

    dockerapi.remove(tag)  # best effort: disk only


def rescue_unit(original: TaskInstance, dropped: TaskInstance, error: RecordDropped, cfg: EnvConfig) -> dict:
    """The validate unit's result for a task dropped for a setup trigger: the task as validated after
    the setup agent's replay, or the original drop with `validation.setup_agent` saying what was tried."""
    from agentmt.environments.images import ImageBuildError, image_id, touch_image

    image = original.validation["image"]["tag"]
    phases = dropped.validation.get("phases", {})
    log_tail = (phases.get("after") or phases.get("before") or {}).get("log_tail") or error.detail
    record: dict[str, Any] = {"trigger": error.reason}
    try:
        record.update(run_setup_agent(original, image, error.reason, log_tail, cfg))
        record["outcome"] = record["exit_status"] if record["exit_status"] in RETRIED else \
            REJECTED if record["changed_files"] else NO_COMMANDS if not record["commands"] else ""
        if not record["outcome"]:
            start = time.monotonic()
            record["outcome"], fixed = _judge(original, image, record, cfg)
            record["judge_seconds"] = round(time.monotonic() - start, 2)  # replay build + check + validation
            if fixed is not None:
                tag = record.pop("tag")
                fixed.validation["image"].update(tag=tag, id=image_id(tag))
                fixed.validation["image"].pop("ref", None)  # the pushed image is the one before the replay
                if cfg.registry:
                    from agentmt.environments.registry import record_push

                    record_push(fixed, cfg.registry)
                touch_image(tag)
                record.pop("messages")  # kept for failures (env explain); a fixed task keeps its recipe
                fixed.validation[SOURCE] = record
                return {"task": fixed.to_dict(), "outputs": [], SOURCE: FIXED}
    except InfrastructureError as e:
        record.update(outcome="environment_error", error=str(e))
    except ImageBuildError as e:
        record.update(outcome=REPLAY_FAILED, replay_log=e.log[-LOG_TAIL:])
    dropped.validation[SOURCE] = record
    return {"task": dropped.to_dict(), "dropped": error.reason, "detail": error.detail, "outputs": [],
            "retry": record["outcome"] in RETRIED, SOURCE: record["outcome"]}


def _judge(original: TaskInstance, image: str, record: dict, cfg: EnvConfig) -> tuple[str, TaskInstance | None]:
    """Replay the commands, check the tree, validate; (outcome, the validated task or None)."""
    from agentmt.environments.base import image_exists
    from agentmt.environments.images import make_task_tag
    from agentmt.environments.validate import validate_task

    candidate = TaskInstance.from_dict(original.to_dict())
    candidate.install = {**candidate.install, "setup_commands": list(record["commands"]),
                         "sources": [*(candidate.install.get("sources") or []), SOURCE]}
    existed = image_exists(make_task_tag(candidate, candidate.validation["image"]["env_tag"]))
    tag, log = build_replay_image(candidate, image)
    record["replay_log"] = log[-LOG_TAIL:]
    # a failed replay's image goes, unless another output folder's task already used that tag
    discard = (lambda: None) if existed else (lambda: _remove_image(tag))
    try:
        changed = replay_changes(candidate, tag, cfg)
    except InfrastructureError:
        discard()
        raise
    if changed:
        record["changed_files"] = changed
        discard()
        return REJECTED, None
    try:
        validate_task(candidate, tag, runs=cfg.runs, timeout_s=cfg.test_timeout_s, runtime=cfg.runtime,
                      replace_lists=cfg.replace_lists)
    except RecordDropped as e:
        discard()
        if e.reason == "infra_error":
            raise InfrastructureError(e.detail) from e
        record.update(replay_drop={"reason": e.reason, "detail": e.detail[:1500]},
                      replay_phases=candidate.validation.get("phases", {}))
        return STILL_DROPPED, None
    record["tag"] = tag
    return FIXED, candidate


def render_setup_agent(task: TaskInstance, log_lines: int = 30) -> list[str]:
    """`env explain` lines for what the setup agent did on this task (none when it did not run)."""
    rec = task.validation.get(SOURCE)
    if not rec:
        return []
    out = [(f"setup agent ({rec.get('model', '?')}): {rec.get('outcome')} after {rec.get('steps', 0)} steps, "
            f"agent exit {rec.get('exit_status', '-')}, triggered by {rec.get('trigger')}")]
    out += [f"  $ {c[:200]}" for c in rec.get("commands") or []] or ["  (no setup command recorded)"]
    if rec.get("changed_files"):
        out.append("  rejected: changed " + ", ".join(rec["changed_files"][:20]))
    if rec.get("replay_drop"):
        out.append(f"  after replay: {rec['replay_drop']['reason']}")
        out += ["    " + line for line in rec["replay_drop"]["detail"][:600].splitlines()]
    if rec.get("error"):
        out.append(f"  error: {rec['error'][:300]}")
    tail = (rec.get("replay_log") or "").rstrip().splitlines()[-log_lines:]
    if tail and rec.get("outcome") != FIXED:
        out += ["  replay log tail:", *("    " + line for line in tail)]
    if rec.get("messages"):
        out.append(f"  trajectory: {len(rec['messages'])} messages (validation.setup_agent.messages)")
    return out


def count_setup_agent(infos: list[dict], manifest) -> None:
    """Manifest counts of the validate stage: `setup_agent_tried`, `setup_agent_fixed`, and each task's
    outcome in `extra.setup_agent` (from the units' results, so a resumed run counts the same)."""
    outcomes = {i["task"]["instance_id"]: i[SOURCE] for i in infos if i.get(SOURCE)}
    manifest.counts["setup_agent_tried"] = len(outcomes)
    manifest.counts["setup_agent_fixed"] = sum(o == FIXED for o in outcomes.values())
    manifest.extra[SOURCE] = outcomes
