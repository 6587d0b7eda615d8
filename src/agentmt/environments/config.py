"""`EnvConfig`: how task images are built, pruned and validated (built-in defaults: configs/env.yaml)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from agentmt.environments.runtime import RuntimeConfig

# validate drop reasons an environment (not the task) can cause, so a setup agent may remove them
SETUP_TRIGGERS = ("no_tests_ran", "no_fail_to_pass", "gold_not_resolved", "test_timeout")


class SetupAgentConfig(BaseModel):
    """`env validate`'s setup agent: when a task's tests do not run, an agent tries commands in its image
    (environments/setup_agent.py); the ones a fresh replay proves become `install.setup_commands`."""

    enabled: bool = False
    """Try the setup agent on tasks dropped for one of `triggers` (off: drops stand as they are)."""
    model: str = "embedded"
    """embedded | scripted:FILE | an OpenAI-compatible base URL (http://host:port/v1), as rollouts take it."""
    sampling: dict[str, Any] = Field(default_factory=dict)
    """Model settings (ModelConfig keys: model, temperature, max_tokens, timeout_s, api_key, ...)."""
    step_limit: int = Field(30, ge=1)
    """Model calls per task before the agent is stopped."""
    wall_limit_s: float = Field(1200.0, gt=0)
    """Wall-clock seconds of one agent run."""
    command_timeout_s: int = Field(300, ge=1)
    """Limit of one command the agent runs (replayed commands get the same limit)."""
    triggers: list[str] = Field(default_factory=lambda: ["no_tests_ran"])
    """Validate drop reasons that start the agent, among SETUP_TRIGGERS."""
    agent: dict[str, Any] = Field(default_factory=dict)
    """Other AgentConfig overrides (context_limit_tokens, action_format, ...)."""
    prompts: str = ""
    """A YAML file of the agent's prompt templates (keys as configs/prompts/setup_agent.yaml); "" = built-in."""

    @field_validator("triggers")
    @classmethod
    def _check_triggers(cls, value):
        bad = [t for t in value if t not in SETUP_TRIGGERS]
        if bad:
            raise ValueError(f"unknown setup-agent trigger {bad[0]!r}; choose among {', '.join(SETUP_TRIGGERS)}")
        return value


class EnvConfig(BaseModel):
    """Settings of `agentmt env build` and `agentmt env validate`."""

    base_release: str = "bookworm"
    """Debian release of the base image when the recipe does not ask for another Python."""
    try_pull: bool = True
    """Try a registry image before bootstrapping the base image offline with debootstrap."""
    default_python: str = "3.11"
    """Python used when the repository states no constraint."""
    max_task_images: int = 50
    """Disk cap: instance images kept; least recently used ones beyond it are removed."""
    max_env_images: int = 10
    """Disk cap: dependency (env) images kept when no kept instance image needs them."""
    prune_keep_recent_s: float = Field(86400.0, ge=0)
    """Images used within this many seconds are never pruned, even beyond the caps: a build of more
    tasks than max_task_images, or another run on the same AGENTMT_HOME, still needs them (the build's
    prune had removed images before their validation). 0: the caps alone decide."""
    runs: int = Field(3, ge=1)
    """Test runs before and after the gold patch; a test whose status differs between runs is flaky."""
    test_timeout_s: int = 600
    """Time limit of one test run inside the container."""
    repos: dict[str, str] = Field(default_factory=dict)
    """Local clones by repository name ("owner/name" → path) used to build /testbed."""
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)
    """Container limits for validation runs."""
    allow_direct_urls: bool = False
    """Keep direct URL requirements (`name @ URL`, `git+https://...`); off: they are removed from the recipe
    and listed in `install.refused_direct_urls` (their code is pinned by no date and served by no index)."""
    build_network: Literal["auto", "bridge", "host"] = "auto"
    """Network of the image builds that install packages: `bridge` (the daemon's default), `host` (every
    service on the host's loopback is reachable from a package's build step), or `auto`: the bridge where
    the daemon has one, else host; the one used is recorded in `validation.image.build_network`."""
    pin_date: str = "commit"
    """Resolve dependencies as of: `commit` (the base commit's committer date), `pr_created`, a date
    (YYYY-MM-DD or ISO timestamp) or `none` (today's releases). Also bounds the Python chosen."""
    lock: str = ""
    """A freeze file (name==version lines) installed exactly, instead of resolving, for every task."""
    reuse_locks: bool = False
    """Install each task's recorded lock (from an earlier build) exactly instead of resolving again."""
    replace_lists: bool = False
    """Rows that carry FAIL_TO_PASS/PASS_TO_PASS: replace them with the lists validation derives
    (default: keep the given lists, report agreement)."""
    setup_agent: SetupAgentConfig = Field(default_factory=SetupAgentConfig)
    """The validate stage's setup agent (off by default; see SetupAgentConfig)."""
    registry: str = ""
    """Push every task image `env build` builds to this registry (`host:port/prefix`, e.g.
    localhost:5000/agentmt) and record its digest reference (`validation.image.ref`); every stage then pulls
    that digest on its own daemon when the image is missing there. "" = images stay on the building daemon."""

    @field_validator("pin_date", mode="before")
    @classmethod
    def _check_pin(cls, value):
        from agentmt.environments.pins import check_pin_setting

        return check_pin_setting(value)


def load_env_config(*specs: str) -> EnvConfig:
    from agentmt.config import make_config

    return make_config(EnvConfig, "env", *specs)
