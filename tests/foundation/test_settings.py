"""One cache by default: the checkout's .agentmt/ whatever the working directory; $AGENTMT_HOME wins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from agentmt import settings

ROOT = Path(__file__).resolve().parents[2]


def _home_from(cwd: Path, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "AGENTMT_HOME"}
    out = subprocess.run([sys.executable, "-c", "from agentmt import settings; print(settings.home())"],
                         cwd=cwd, env={**clean, **env}, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_the_checkout_cache_is_used_from_any_folder_and_agentmt_home_wins(tmp_path):
    assert _home_from(tmp_path) == _home_from(ROOT) == str(ROOT / ".agentmt")
    assert _home_from(tmp_path, AGENTMT_HOME=str(tmp_path / "h")) == str(tmp_path / "h")


def test_an_installed_wheel_uses_the_user_cache(tmp_path):
    site = tmp_path / "lib" / "site-packages" / "agentmt"
    site.mkdir(parents=True)
    assert settings.checkout_root(site) is None
    assert settings.checkout_root(ROOT / "src" / "agentmt") == ROOT


def test_make_does_not_set_its_own_cache():
    makefile = (ROOT / "Makefile").read_text()
    assert not any(line.lstrip().startswith(("export AGENTMT_HOME", "AGENTMT_HOME"))
                   for line in makefile.splitlines())
