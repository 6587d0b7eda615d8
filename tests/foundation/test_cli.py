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
