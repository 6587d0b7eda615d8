"""Scaffold overhead per step: agentmt's agent vs mini-swe-agent, same scripted trajectory, same container.

Both replay N cheap bash commands and then submit, on one running task container, alternating for
R rounds. Overhead per step = (run wall time − model time − the commands' own time) / steps, where
a command's own time is `bash -c CMD` timed inside the container (what any scaffold must pay).
agentmt runs commands through docker-py exec and its in-container tool script; mini-swe-agent 2.4.6
(`pip install agentmt[bench]`) through its DockerEnvironment (`docker exec` CLI, `bash -lc`).
Goal: agentmt ≤ 1.0× mini-swe-agent.

    python benchmarks/bench_scaffold.py [TASKS_FILE_OR_DIR]   (default: builds the demo's truncate task)
"""

from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = ["ls", "cat textkit/strings.py", "grep -n 'def ' textkit/strings.py", "git status --short",
            "head -n 5 README.md", "wc -l textkit/*.py", "sed -n 10,20p textkit/strings.py", "echo step",
            "git log --oneline -1", "ls tests"] * 3
ROUNDS = 5


def load_task(arg: str | None, work: Path):
    from agentmt.environments.tasks import read_tasks

    if arg:
        return next(t for t in read_tasks(arg) if "strings.py" in t.patch)
    from agentmt.environments.demo import build_demo_tasks

    info = build_demo_tasks(work, "runs=1", only_prs=[2])
    return next(iter(read_tasks(info["tasks"])))


def command_seconds(env, commands: list[str]) -> float:
    """The commands' own time: each `bash -c CMD` timed inside the container, summed."""
    import shlex

    script = "; ".join(f"s=$(date +%s%N); bash -c {shlex.quote(c)} >/dev/null 2>&1; e=$(date +%s%N); "
                       f"echo $((e-s))" for c in commands)
    out, _ = env.execute(f"cd /testbed && {{ {script}; }}")
    return sum(int(x) for x in out.split()) / 1e9


def run_agentmt(task, env) -> tuple[float, float, int]:
    from agentmt.agents import load_agent_config, run_agent
    from agentmt.agents.scripted import ScriptedModel

    model = ScriptedModel([{"bash": c} for c in COMMANDS] + [{"submit": True}])
    start = time.perf_counter()
    result = run_agent(task, env, model, load_agent_config("action_format=tool_calls"))
    wall = time.perf_counter() - start
    assert result.exit_status == "submitted", result.error
    return wall, result.timings["model_s"], len(result.steps)


def run_mini(container_id: str) -> tuple[float, float, int]:
    from minisweagent.agents.default import DefaultAgent
    from minisweagent.environments.docker import DockerEnvironment, DockerEnvironmentConfig
    from minisweagent.models.test_models import DeterministicModel, make_output

    class SharedContainer(DockerEnvironment):
        """mini's DockerEnvironment on our already running container (it would otherwise start its own)."""

        def __init__(self, container_id: str, **kwargs):
            self.logger = logging.getLogger("minisweagent.environment")
            self.config = DockerEnvironmentConfig(**kwargs)
            self.container_id = container_id

        def cleanup(self):  # the container is ours; agentmt removes it
            pass

    outputs = [make_output(f"step {i}", [{"command": c}]) for i, c in enumerate(COMMANDS)]
    outputs.append(make_output("done", [{"command": "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git diff"}]))
    model = DeterministicModel(outputs=outputs, cost_per_call=0.0)
    model_s = 0.0
    query = model.query

    def timed_query(*a, **k):
        nonlocal model_s
        t0 = time.perf_counter()
        try:
            return query(*a, **k)
        finally:
            model_s += time.perf_counter() - t0

    model.query = timed_query
    env = SharedContainer(container_id, image="unused", cwd="/testbed", timeout=120)
    agent = DefaultAgent(model, env, system_template="You are a helpful assistant.",
                         instance_template="{{task}}", step_limit=0, cost_limit=0)
    start = time.perf_counter()
    info = agent.run("benchmark")
    wall = time.perf_counter() - start
    assert info.get("exit_status") == "Submitted", info
    return wall, model_s, len(outputs)


def main(arg: str | None, work: Path) -> dict[str, float]:
    from agentmt.environments.runtime import DockerEnvironment

    logging.getLogger("minisweagent").setLevel(logging.WARNING)
    task = load_task(arg, work)
    results: dict[str, list[float]] = {"agentmt": [], "mini-swe-agent": []}
    with DockerEnvironment(task.validation["image"]["tag"]) as env:
        for _ in range(ROUNDS):
            # measured each round, next to the runs, so load drift on shared cores hits both alike
            cmd_s = command_seconds(env, COMMANDS + ["git diff"])
            for name, run in (("agentmt", lambda: run_agentmt(task, env)),
                              ("mini-swe-agent", lambda: run_mini(env.container.id))):
                wall, model_s, steps = run()
                results[name].append((wall - model_s - cmd_s) / steps)
    ours, ref = (statistics.median(results[k]) for k in ("agentmt", "mini-swe-agent"))
    res = {"steps": len(COMMANDS) + 1, "rounds": ROUNDS, "agentmt_ms_per_step": round(ours * 1e3, 2),
           "mini_swe_agent_ms_per_step": round(ref * 1e3, 2), "ratio": round(ours / ref, 3)}
    print(f"scaffold overhead per step ({res['steps']} steps, median of {ROUNDS} rounds): agentmt "
          f"{res['agentmt_ms_per_step']} ms, mini-swe-agent {res['mini_swe_agent_ms_per_step']} ms, "
          f"ratio {res['ratio']}x (goal <= 1.0x)")
    return res


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="agentmt-bench-scaffold-") as tmp:
        main(sys.argv[1] if len(sys.argv) > 1 else None, Path(tmp))
