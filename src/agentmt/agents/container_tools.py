"""The tools' container side: copied into the task container and run there with its python3.

Stdlib only and Python >= 3.6 syntax (task images carry whatever interpreter their era needs).
Usage: `python3 container_tools.py ARG` where ARG is base64 JSON, or `@FILE` holding that JSON,
of {"tool": "bash"|"str_replace_editor", ...arguments}. Prints one JSON object:
{"output": str, "returncode": int}. `python3 container_tools.py serve` answers such requests, one
base64 line in, one base64 line out, until stdin closes: one process for the whole run, so a step
costs neither an `exec` nor an interpreter start. The host never runs this file; it only ships it.

Why a script and not shell snippets: `str_replace` must count matches and report their lines,
`view` must number lines and list two levels, `undo_edit` needs history that survives between
calls, and `bash` must stream an output of any size through bounded head/tail buffers (a command
printing gigabytes never reaches the host's memory) and kill the whole process group on timeout.
All of that is exact and cheap in one small Python process, clumsy and fragile in sh.
"""

import base64
import hashlib
import json
import os
import select
import signal
import subprocess
import sys
import time

STATE = "/tmp/.agentmt"
SNIPPET_LINES = 4  # context shown around an edit
MAX_VIEW_CHARS = 16000  # a longer `view` is clipped with a note (SWE-agent's bound)
CLIPPED_NOTE = ("<response clipped><NOTE>Only part of this file was shown to save context. Search it "
                "with `grep -n` for the line numbers you need, then view that `view_range`.</NOTE>")


def numbered(text, start=1):
    return "\n".join("%6d\t%s" % (i, line) for i, line in enumerate(text.split("\n"), start))


def clip(text, limit=MAX_VIEW_CHARS):
    return text if len(text) <= limit else text[:limit] + "\n" + CLIPPED_NOTE


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().expandtabs()


def write_text(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def history_file(path):
    return os.path.join(STATE, "history", hashlib.sha1(path.encode()).hexdigest() + ".json")


def push_history(path, old):
    os.makedirs(os.path.join(STATE, "history"), exist_ok=True)
    hist = load_history(path)
    hist.append(old)
    with open(history_file(path), "w") as f:
        json.dump(hist, f)


def load_history(path):
    try:
        with open(history_file(path)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return []


class ToolError(Exception):
    """A mistake in the call; the message goes back to the agent as the observation."""


def check_path(command, path):
    if not path:
        raise ToolError("Parameter `path` is required for command `%s`." % command)
    if not os.path.isabs(path):
        raise ToolError("The path %s is not an absolute path, it should start with `/`. Maybe you meant %s?"
                        % (path, os.path.join(os.getcwd(), path)))
    if command == "create":
        if os.path.exists(path):
            raise ToolError("File already exists at: %s. Cannot overwrite files using command `create`." % path)
        return
    if not os.path.exists(path):
        raise ToolError("The path %s does not exist. Please provide a valid path." % path)
    if os.path.isdir(path) and command != "view":
        raise ToolError("The path %s is a directory and only the `view` command can be used on directories."
                        % path)


def snippet(text, around_line, num_new_lines):
    lines = text.split("\n")
    start = max(0, around_line - SNIPPET_LINES)
    end = min(len(lines), around_line + num_new_lines + SNIPPET_LINES)
    return numbered("\n".join(lines[start:end]), start + 1)


def view(path, view_range):
    if os.path.isdir(path):
        if view_range:
            raise ToolError("The `view_range` parameter is not allowed when `path` points to a directory.")
        out = subprocess.run(["find", path, "-maxdepth", "2", "-not", "-path", "*/.*"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
        return ("Here's the files and directories up to 2 levels deep in %s, excluding hidden items:\n%s"
                % (path, "\n".join(sorted(out.stdout.splitlines()))))
    text = read_text(path)
    start = 1
    if view_range:
        if not (isinstance(view_range, list) and len(view_range) == 2
                and all(isinstance(i, int) for i in view_range)):
            raise ToolError("Invalid `view_range`: it should be a list of two integers.")
        lines = text.split("\n")
        first, last = view_range
        if first < 1 or first > len(lines):
            raise ToolError("Invalid `view_range`: %s. Its first element `%d` should be within the range of "
                            "lines of the file: [1, %d]" % (view_range, first, len(lines)))
        if last != -1 and (last < first or last > len(lines)):
            raise ToolError("Invalid `view_range`: %s. Its second element `%d` should be -1 or between the "
                            "first element `%d` and the number of lines `%d`" % (view_range, last, first,
                                                                                   len(lines)))
        text = "\n".join(lines[first - 1:] if last == -1 else lines[first - 1:last])
        start = first
    return "Here's the result of running `cat -n` on %s:\n%s\n" % (path, clip(numbered(text, start)))


def str_replace(path, old, new):
    if old is None or old == "":
        raise ToolError("Parameter `old_str` is required for command `str_replace` and must not be empty.")
    new = (new or "").expandtabs()
    old = old.expandtabs()
    text = read_text(path)
    count = text.count(old)
    if count == 0:
        raise ToolError("No replacement was performed, old_str `%s` did not appear verbatim in %s." % (old, path))
    if count > 1:
        lines, pos = [], text.find(old)
        while pos >= 0:
            lines.append(text.count("\n", 0, pos) + 1)
            pos = text.find(old, pos + 1)
        raise ToolError("No replacement was performed. Multiple occurrences (%d) of old_str `%s` in lines %s. "
                        "Please ensure it is unique." % (count, old, lines))
    if new == old:
        raise ToolError("No replacement was performed, old_str `%s` is the same as new_str `%s`." % (old, new))
    push_history(path, text)
    new_text = text.replace(old, new)
    write_text(path, new_text)
    line = text.split(old)[0].count("\n")
    return ("The file %s has been edited. Here's the result of running `cat -n` on a snippet of %s:\n%s\n"
            "Review the changes and make sure they are as expected. Edit the file again if necessary."
            % (path, path, snippet(new_text, line, new.count("\n"))))


def insert(path, line, new):
    if new is None:
        raise ToolError("Parameter `new_str` is required for command `insert`.")
    text = read_text(path)
    lines = text.split("\n")
    if not isinstance(line, int) or line < 0 or line > len(lines):
        raise ToolError("Invalid `insert_line` parameter: %s. It should be within the range of lines of the "
                        "file: [0, %d]" % (line, len(lines)))
    new = new.expandtabs()
    new_lines = new.split("\n")
    push_history(path, text)
    new_text = "\n".join(lines[:line] + new_lines + lines[line:])
    write_text(path, new_text)
    return ("The file %s has been edited. Here's the result of running `cat -n` on a snippet of the edited "
            "file:\n%s\nReview the changes and make sure they are as expected (correct indentation, no "
            "duplicate lines, etc). Edit the file again if necessary."
            % (path, snippet(new_text, line, len(new_lines) - 1)))


def undo(path):
    hist = load_history(path)
    if not hist:
        raise ToolError("No edit history found for %s." % path)
    old = hist.pop()
    write_text(path, old)
    with open(history_file(path), "w") as f:
        json.dump(hist, f)
    return "Last edit to %s undone successfully. Here's the result of running `cat -n` on %s:\n%s\n" % (
        path, path, clip(numbered(old)))


def editor(args):
    command, path = args.get("command"), args.get("path")
    commands = ("view", "create", "str_replace", "insert", "undo_edit")
    if command not in commands:
        raise ToolError("Unrecognized command %r. The allowed commands are: %s" % (command, ", ".join(commands)))
    check_path(command, path)
    if command == "view":
        return view(path, args.get("view_range"))
    if command == "create":
        if args.get("file_text") is None:
            raise ToolError("Parameter `file_text` is required for command: create")
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        write_text(path, args["file_text"])
        push_history(path, "")  # undo of a create empties the file, as SWE-agent's editor does
        return "File created successfully at: %s" % path
    if command == "str_replace":
        return str_replace(path, args.get("old_str"), args.get("new_str"))
    if command == "insert":
        return insert(path, args.get("insert_line"), args.get("new_str"))
    return undo(path)


def run_bash(args):
    """Run the command in its own process group; keep `head` + `tail` bytes of its output, count the rest."""
    timeout, head_n, tail_n = float(args["timeout"]), int(args["head"]), int(args["tail"])
    cwd = args.get("cwd") or "/"
    proc = subprocess.Popen(["bash", "-c", args["command"]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True,
                            cwd=cwd if os.path.isdir(cwd) else "/")
    head, tail, total, lines, timed_out = bytearray(), bytearray(), 0, 0, False
    deadline, exited_at = time.monotonic() + timeout, None
    fd = proc.stdout.fileno()
    while True:
        now = time.monotonic()
        if now >= deadline:
            timed_out = True
            break
        # a background child may hold the pipe open after the command itself exited: stop soon after
        if exited_at is None and proc.poll() is not None:
            exited_at = now
        if exited_at is not None and now - exited_at > 1.0:
            break
        ready, _, _ = select.select([fd], [], [], min(0.2, deadline - now))
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        total += len(chunk)
        lines += chunk.count(b"\n")
        room = head_n - len(head)
        if room > 0:
            head += chunk[:room]
            chunk = chunk[room:]
        if chunk and tail_n:
            tail += chunk
            if len(tail) > tail_n:
                del tail[:len(tail) - tail_n]
    if timed_out:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
    rc = 124 if timed_out else proc.wait()
    if rc < 0:  # killed by a signal: report it the way a shell does (128 + signal number)
        rc = 128 - rc
    cut = total - len(head) - len(tail)
    out = head.decode("utf-8", "replace")
    if cut > 0:
        cut_lines = lines - head.count(b"\n") - tail.count(b"\n")
        out += ("\n<output clipped: %d characters (%d lines) cut here; %d characters kept from the start and "
                "%d from the end>\n" % (cut, cut_lines, len(head), len(tail)))
    out += tail.decode("utf-8", "replace")
    if timed_out:
        out += "\n<command timed out after %d seconds and was killed>" % timeout
    elif rc == 137:
        out += "\n<the command was killed (signal 9); it may have run out of memory>"
    return {"output": out, "returncode": rc}


def handle(raw):
    args = json.loads(base64.b64decode(raw).decode("utf-8"))
    tool = args.pop("tool")
    try:
        return run_bash(args) if tool == "bash" else {"output": editor(args), "returncode": 0}
    except ToolError as e:
        return {"output": str(e), "returncode": 1}
    except (OSError, UnicodeError, ValueError) as e:
        return {"output": "%s: %s" % (type(e).__name__, e), "returncode": 1}


def serve():
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        result = handle(line.strip().decode())
        out.write(base64.b64encode(json.dumps(result).encode("utf-8")) + b"\n")
        out.flush()


def main():
    raw = sys.argv[1]
    if raw == "serve":
        return serve()
    if raw.startswith("@"):
        with open(raw[1:], "rb") as f:
            raw = f.read().decode()
    sys.stdout.write(json.dumps(handle(raw)))


if __name__ == "__main__":
    main()
