"""The tools' semantics inside a real task container: editor commands, bash limits, submit's diff."""

from __future__ import annotations

import pytest

from agentmt.agents.exceptions import Submitted
from agentmt.agents.tools import ToolBox, drop_test_files

pytestmark = pytest.mark.docker


@pytest.fixture
def tools(env, task):
    return ToolBox(env, base_commit=task.base_commit, timeout_s=200, head_chars=300, tail_chars=200)


def edit(tools, **args):
    return tools.call("str_replace_editor", args)


def test_view_file_range_and_directory(tools):
    out, rc = edit(tools, command="view", path="/testbed/textkit/strings.py")
    assert rc == 0 and out.startswith("Here's the result of running `cat -n` on /testbed/textkit/strings.py:")
    assert "     1\t" in out and "def truncate" in out
    out, _ = edit(tools, command="view", path="/testbed/textkit/strings.py", view_range=[2, 3])
    numbers = [ln.split("\t")[0].strip() for ln in out.splitlines()[1:] if "\t" in ln]
    assert numbers == ["2", "3"]
    out, rc = edit(tools, command="view", path="/testbed/textkit/strings.py", view_range=[0, 3])
    assert rc == 1 and "Invalid `view_range`" in out
    out, _ = edit(tools, command="view", path="/testbed")
    assert "up to 2 levels deep in /testbed" in out
    assert "/testbed/textkit/strings.py" in out and "/testbed/.git" not in out
    assert not any(line.count("/") > 3 for line in out.splitlines()[1:])  # /testbed/a/b at most


def test_create_str_replace_insert_undo(tools, env):
    path = "/testbed/textkit/extra.py"
    assert edit(tools, command="create", path=path, file_text="a = 1\nb = 1\nc = 2\n")[0] == \
        f"File created successfully at: {path}"
    out, rc = edit(tools, command="create", path=path, file_text="x")
    assert rc == 1 and "already exists" in out
    out, rc = edit(tools, command="str_replace", path=path, old_str="= 1", new_str="= 3")
    assert rc == 1 and "Multiple occurrences (2)" in out and "lines [1, 2]" in out
    out, rc = edit(tools, command="str_replace", path=path, old_str="c = 2", new_str="c = 2")
    assert rc == 1 and "same as new_str" in out
    out, rc = edit(tools, command="str_replace", path=path, old_str="zzz", new_str="y")
    assert rc == 1 and "did not appear verbatim" in out
    out, rc = edit(tools, command="str_replace", path=path, old_str="b = 1", new_str="b = 5")
    assert rc == 0 and "has been edited" in out and "b = 5" in out
    out, rc = edit(tools, command="insert", path=path, insert_line=1, new_str="inserted = True")
    assert rc == 0
    assert env.execute(f"cat {path}")[0] == "a = 1\ninserted = True\nb = 5\nc = 2\n"
    out, rc = edit(tools, command="insert", path=path, insert_line=99, new_str="x")
    assert rc == 1 and "Invalid `insert_line`" in out
    edit(tools, command="undo_edit", path=path)
    assert env.execute(f"cat {path}")[0] == "a = 1\nb = 5\nc = 2\n"
    edit(tools, command="undo_edit", path=path)
    assert env.execute(f"cat {path}")[0] == "a = 1\nb = 1\nc = 2\n"
    out, rc = edit(tools, command="view", path="textkit/extra.py")
    assert rc == 1 and "not an absolute path" in out
    out, rc = edit(tools, command="undo_edit", path="/testbed/README.md")
    assert rc == 1 and "No edit history" in out


def test_bash_truncates_head_and_tail_and_counts_the_cut(tools):
    out, rc = tools.call("bash", {"command": "seq 1 2000; exit 3"})
    assert rc == 3
    assert out.startswith("1\n2\n3\n") and out.rstrip().endswith("2000")
    assert "characters (" in out and "lines) cut here" in out
    assert len(out) < 1000
    out, rc = tools.call("bash", {"command": "pwd; cd /tmp; echo err >&2"})
    assert rc == 0 and out.split() == ["/testbed", "err"]
    assert tools.call("bash", {"command": "pwd"})[0].strip() == "/testbed"  # cd does not persist


@pytest.mark.timeout(300)
def test_bash_timeout_and_gigabytes_of_output_stay_bounded(tools):
    out, rc = tools.call("bash", {"command": "echo started; sleep 600"}, timeout_s=2)
    assert rc == 124 and "started" in out and "timed out after 2 seconds" in out
    # a background child holding the pipe open does not keep the call waiting
    out, rc = tools.call("bash", {"command": "(sleep 600 &) ; echo quick"})
    assert rc == 0 and "quick" in out
    # streamed through bounded buffers: memory stays flat whatever the size (500 MB keeps it quick on 2 cores)
    out, rc = tools.call("bash", {"command": "head -c 500000000 /dev/zero | tr '\\0' y"}, timeout_s=200)
    assert rc == 0 and len(out) < 1000
    assert "499999500 characters" in out


def test_oom_killed_command_is_an_observation(tools):
    # 512m container: the kernel's OOM killer takes the process (or Python gives up first)
    out, rc = tools.call("bash", {"command": "python3 -c \"x = bytearray(2 * 1024**3); print('never')\""})
    assert (rc == 137 and "run out of memory" in out) or (rc == 1 and "MemoryError" in out)
    assert tools.call("bash", {"command": "echo alive"})[0].strip() == "alive"


def test_submit_is_the_diff_without_test_files(tools, env, task):
    env.execute("sed -i 's/return text$/return text  # edited/' textkit/strings.py")
    env.execute("echo 'new = 1' > textkit/new_module.py; echo 'def test_x(): pass' > tests/test_agent.py")
    env.execute("echo '# tampered' >> tests/test_strings.py")
    with pytest.raises(Submitted) as done:
        tools.call("submit", {})
    diff = done.value.submission
    assert "a/textkit/strings.py" in diff and "b/textkit/new_module.py" in diff
    assert "tests/" not in diff
    # the agent's own index is untouched by submit
    assert env.execute("git diff --cached --name-only")[0] == ""


def test_drop_test_files_is_the_task_rule():
    diff = ("diff --git a/src/a.py b/src/a.py\n+x\n"
            "diff --git a/tests/t.py b/tests/t.py\n+y\n"
            "diff --git a/pkg/test_b.py b/pkg/test_b.py\n+z\n"
            "diff --git a/conftest.py b/conftest.py\n+w\n")
    assert drop_test_files(diff) == "diff --git a/src/a.py b/src/a.py\n+x\n"


def test_a_killed_tool_server_is_reported_and_restarted(tools):
    out, rc = tools.call("bash", {"command": "kill -9 $PPID; sleep 5"})  # the parent is the tool server
    assert rc == -1 and "restarted" in out
    assert tools.call("bash", {"command": "echo back"}) == ("back\n", 0)


class ExecOnly:
    """An Environment with only the Protocol's methods (no docker container to attach a server to)."""

    def __init__(self, env):
        self.execute, self.write_file = env.execute, env.write_file


def test_tools_without_a_server_run_one_exec_per_call(env, task):
    tools = ToolBox(ExecOnly(env), base_commit=task.base_commit, timeout_s=20)
    out, rc = tools.call("bash", {"command": "echo via exec; exit 2"})
    assert (out, rc) == ("via exec\n", 2) and tools._server is None
    big = "x" * 200_000  # beyond one exec argument: goes through a file
    out, rc = tools.call("str_replace_editor", {"command": "create", "path": "/tmp/big.txt", "file_text": big})
    assert rc == 0 and env.execute("wc -c < /tmp/big.txt")[0].strip() == "200000"
