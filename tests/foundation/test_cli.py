import subprocess
import sys


def _run(*args):
    return subprocess.run([sys.executable, "-m", "agentmt.cli.main", *args], capture_output=True, text=True)


def test_version_and_help():
    from agentmt import __version__

    assert _run("version").stdout.strip() == __version__
    out = _run("--help").stdout
    for group in ("demo", "mine", "ctx", "train", "env"):
        assert group in out


def test_import_is_cheap():
    code = "import sys, agentmt, agentmt.types, agentmt.io, agentmt.config; " \
           "print(','.join(m for m in ('torch','transformers','docker','githubkit') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == ""


def test_errors_are_one_line_with_exit_status(tmp_path, monkeypatch, capsys):
    """UserError → exit 2, other AgentmtError (GitError, InfrastructureError) → exit 1, both one line."""
    import pytest

    from agentmt.cli import main as cli
    from agentmt.errors import GitError, InfrastructureError

    bad = tmp_path / "prs.jsonl"
    bad.write_text('\n{oops\n')
    proc = _run("ctx", "render", str(bad), "--format", "gen", "--no-llm", "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "prs.jsonl:2: not valid JSON" in proc.stderr
    for exc in (GitError("git cat-file failed:\nfatal: bad object"), InfrastructureError("daemon\ngone")):
        def boom(*args, exc=exc, **kwargs):
            raise exc
        monkeypatch.setattr("agentmt.sources.mine.mine_git", boom)
        monkeypatch.setattr(sys, "argv", ["agentmt", "mine", "git", str(tmp_path), "--out", str(tmp_path / "o")])
        with pytest.raises(SystemExit) as info:
            cli.main()
        err = capsys.readouterr().err
        assert info.value.code == 1 and err.count("\n") == 1 and err.startswith("agentmt: error: ")


def test_stage_conflict_names_force(tmp_path):
    from agentmt.sources.demo import build_demo

    info = build_demo(tmp_path / "demo")
    args = ("mine", "git", str(info.repo_path), "--metadata", str(info.metadata_dir), "--out", str(tmp_path / "prs"),
            "-c", "progress=false")
    assert _run(*args).returncode == 0
    proc = _run(*args, "-c", "shard_size=2")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "pass --force" in proc.stderr
    assert _run(*args, "-c", "shard_size=2", "--force").returncode == 0
