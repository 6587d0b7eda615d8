"""The one place that reads environment variables."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """Cache and state directory (models, base images, LLM cache): $AGENTMT_HOME, else the `.agentmt/`
    of the checkout agentmt is installed from (`pip install -e`, as `make` does), else ~/.cache/agentmt."""
    if os.environ.get("AGENTMT_HOME"):
        return Path(os.environ["AGENTMT_HOME"])
    # Decided by where the code lives, not the working directory, so `make demo`, `make test` and
    # `.venv/bin/agentmt` run from any folder share one cache (the converted model is 517 MB).
    checkout = checkout_root()
    return checkout / ".agentmt" if checkout else Path.home() / ".cache" / "agentmt"


def checkout_root(package_dir: Path | None = None) -> Path | None:
    """The source checkout holding the agentmt package (`ROOT/src/agentmt` beside `ROOT/pyproject.toml`),
    or None for an installed wheel (site-packages/agentmt)."""
    package_dir = package_dir or Path(__file__).resolve().parent
    root = package_dir.parents[1]
    if package_dir.parent.name == "src" and (root / "pyproject.toml").is_file():
        return root
    return None


def progress_every_s() -> float:
    """Seconds between plain progress lines when stderr is not a terminal (AGENTMT_PROGRESS_EVERY, default 30)."""
    try:
        return max(0.0, float(os.environ.get("AGENTMT_PROGRESS_EVERY") or 30))
    except ValueError:
        return 30.0


def debug() -> bool:
    """Full tracebacks from the CLI when AGENTMT_DEBUG=1."""
    return os.environ.get("AGENTMT_DEBUG", "") not in ("", "0", "false")


def openai_base_url() -> str | None:
    return os.environ.get("AGENTMT_LLM_BASE_URL") or os.environ.get("OPENAI_BASE_URL")


def openai_api_key() -> str | None:
    return os.environ.get("AGENTMT_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY")


def github_token() -> str | None:
    return os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")


def in_ci() -> bool:
    return os.environ.get("CI", "") not in ("", "0", "false")


def llm_model() -> str | None:
    """Model name sent to the LLM endpoint when a config sets none (AGENTMT_LLM_MODEL)."""
    return os.environ.get("AGENTMT_LLM_MODEL")


def sequence_parallel_degree() -> int:
    """Processes sharing one sample (context × sequence × tensor parallel sizes, as `accelerate launch` exports them)."""
    n = 1
    for key in ("PARALLELISM_CONFIG_CP_SIZE", "PARALLELISM_CONFIG_SP_SIZE", "PARALLELISM_CONFIG_TP_SIZE"):
        n *= int(os.environ.get(key) or 1)
    return n
