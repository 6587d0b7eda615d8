"""CLI tests run `agentmt.cli.main.main()` itself (argument parsing and the one-line error mapping)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

# The tiny calc repository of the environment tests (its fixture lives in that folder's conftest,
# which pytest scopes to tests/environments; load the module once and reuse the fixture here).
_ENV_CONFTEST = Path(__file__).resolve().parents[1] / "environments" / "conftest.py"
_spec = importlib.util.spec_from_file_location("agentmt_env_fixtures", _ENV_CONFTEST)
env_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(env_fixtures)
calc_repo = env_fixtures.calc_repo


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run `agentmt ARGS...` through main(); returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["agentmt", *map(str, args)])
        monkeypatch.delenv("AGENTMT_DEBUG", raising=False)
        from agentmt.cli.main import main

        try:
            main()
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
