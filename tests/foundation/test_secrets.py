"""agentmt's own secrets: a planted key, given the ways a user gives one, reaches no file and no console
line. The rollout and GitHub paths are in tests/rollouts/test_rollout_secrets.py and
tests/sources/test_github_secrets.py."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from agentmt import io
from agentmt.secrets import REDACTED, redact, redact_text, register, register_from


def planted(tag: str) -> str:
    return f"sk-planted{tag}{uuid.uuid4().hex}"


def files_holding(secret: str, *roots: Path) -> list[str]:
    """Files under `roots` whose bytes contain `secret` (skipping folders that do not exist)."""
    hits, needle = [], secret.encode()
    for root in roots:
        for dirpath, _, names in os.walk(root):
            for name in names:
                path = Path(dirpath) / name
                try:
                    if needle in path.read_bytes():
                        hits.append(str(path))
                except OSError:
                    continue
    return hits


def test_redact_removes_names_urls_headers_and_registered_values():
    key = planted("reg")
    register(key)
    data = {"api_key": "abc-123-xyz", "max_tokens": 512, "num_tokens": 9, "tokens": ["t1-secret", "t2-secret"],
            "tokenizer": "gpt2", "tokens_file": "/x/tokens.txt", "password": "",
            "llm": {"base_url": "http://user:hunter2hunter2@127.0.0.1:9/v1", "note": f"quoted {key} here"},
            "log": ["Authorization: Bearer abcdefghijklmnopqrstuvwx"]}
    out = redact(data)
    assert out["api_key"] == REDACTED and out["tokens"] == [REDACTED, REDACTED] and out["password"] == ""
    assert (out["max_tokens"], out["num_tokens"], out["tokenizer"]) == (512, 9, "gpt2")  # counts, settings stay
    assert out["tokens_file"] == "/x/tokens.txt"
    assert out["llm"]["base_url"] == f"http://user:{REDACTED}@127.0.0.1:9/v1"
    assert key not in str(out) and "hunter2" not in str(out) and "abcdefghijklmnop" not in str(out)
    assert redact_text("nothing secret here: tokens=5") == "nothing secret here: tokens=5"
    register_from({"max_tokens": 512, "tokens": ["abcdefgh1"], "llm": {"api_key": None}})  # counts, None: no-ops
    assert redact_text("abcdefgh1") == REDACTED


def test_config_keys_never_reach_a_manifest_or_marker(tmp_path):
    """-c llm.api_key / sampling.api_key / agent.model.api_key / setup_agent.sampling.api_key → manifests."""
    from agentmt.config import make_config
    from agentmt.corpus.render import CtxConfig
    from agentmt.environments.config import load_env_config
    from agentmt.rollouts.config import RolloutConfig

    keys = {k: planted(k) for k in ("llm", "sampling", "agent", "setup")}
    ctx = make_config(CtxConfig, f"llm.api_key={keys['llm']}")
    roll = make_config(RolloutConfig, f"sampling.api_key={keys['sampling']}", f"agent.model.api_key={keys['agent']}")
    env = load_env_config(f"setup_agent.sampling.api_key={keys['setup']}")
    for name, cfg in {"ctx": ctx, "rollout": roll, "env": env}.items():
        io.Manifest(stage=name, config=cfg.model_dump()).write(tmp_path / name)
        io.mark_done(tmp_path / name, "unit", {"config": cfg.model_dump()})
    for key in keys.values():
        assert not files_holding(key, tmp_path)
    assert roll.sampling["api_key"] == keys["sampling"]  # the live config keeps it: the client needs it


def test_cli_error_naming_a_url_with_credentials_hides_them(tmp_path):
    """An unreachable endpoint given as http://user:KEY@host, plus -c llm.api_key and the env variable: the
    one-line error, the output folder and AGENTMT_HOME hold none of the keys."""
    from agentmt.models.server import find_free_port
    from agentmt.types import Commit, FileChange, PullRequest

    url_key, cfg_key, env_key = planted("url"), planted("cfg"), planted("env")
    pr = PullRequest(id="demo/x#1", repo="demo/x", number=1, title="Fix", body="", author="dev", base_sha="b",
                     snapshot_sha="s", head_sha="h", merge_sha="m", merge_kind="merge",
                     commits=[Commit(sha="a", message="fix", author="dev", date="2024-01-01T00:00:00Z",
                                     changes=[FileChange("modified", "x.py", "x.py", "@@ -1 +1 @@\n-a\n+b\n")])])
    io.write_records(tmp_path / "prs" / "part-00000.parquet", [pr], PullRequest)
    home = tmp_path / "home"
    url = f"http://user:{url_key}@127.0.0.1:{find_free_port()}/v1"
    res = subprocess.run([sys.executable, "-m", "agentmt.cli.main", "ctx", "render", str(tmp_path / "prs"),
                          "--format", "py", "--out", str(tmp_path / "out"), "-c", f"llm.base_url={url}",
                          "-c", f"llm.api_key={cfg_key}"], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "AGENTMT_HOME": str(home), "AGENTMT_LLM_API_KEY": env_key})
    assert res.returncode != 0 and "127.0.0.1" in res.stderr, res.stderr  # it failed, naming the endpoint
    for key in (url_key, cfg_key, env_key):
        assert key not in res.stdout + res.stderr
        assert not files_holding(key, tmp_path / "out", home)
