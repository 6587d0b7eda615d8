"""The gold replay's actions, run through the editor's own code on a real git checkout (no container):
views it reads back, one unique str_replace per hunk, create/rm/mv, a patch only for binary files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from agentmt.agents import container_tools
from agentmt.agents.formats import TOOLS
from agentmt.errors import EndpointError
from agentmt.agents.gold import GOLD_PATCH_PATH, GoldModel
from agentmt.types import Message, TaskInstance


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def make_repo(tmp_path: Path, *, binary: bool) -> tuple[Path, str, dict[str, bytes]]:
    """A repository at its base commit and the gold patch (several hunks, a repeated block, a long
    file whose view is clipped, a new, a deleted and a renamed file, optionally a binary one)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    block = "def helper():\n    return 1\n\n\n"
    (repo / "pkg").mkdir()
    (repo / "pkg/core.py").write_text("import os\n\n\n" + block * 3 + "def main():\n    return helper()\n")
    (repo / "pkg/long.py").write_text("".join(f"VALUE_{i} = {i}  # padding to make the view clip\n"
                                              for i in range(600)))
    (repo / "pkg/old.py").write_text("gone = True\n")
    (repo / "pkg/move.py").write_text("x = 1\ny = 2\n")
    (repo / "logo.bin").write_bytes(b"\x00\x01\x02")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    base = (repo / "pkg/core.py").read_text()
    # change the middle copy of the repeated block (its 3-line context appears three times) and the end
    (repo / "pkg/core.py").write_text(base.replace(block * 3, block + block.replace("1", "2") + block)
                                      .replace("return helper()", "return helper() + 1"))
    long = (repo / "pkg/long.py").read_text()
    (repo / "pkg/long.py").write_text(long.replace("VALUE_3 = 3", "VALUE_3 = 30").replace("VALUE_590 = 590", "X = 0"))
    (repo / "pkg/new.py").write_text("fresh = 1\n")
    (repo / "pkg/old.py").unlink()
    git(repo, "mv", "pkg/move.py", "pkg/moved.py")
    (repo / "pkg/moved.py").write_text("x = 1\ny = 3\n")
    if binary:
        (repo / "logo.bin").write_bytes(b"\x00\x09\x02")
    git(repo, "add", "-A")
    patch = git(repo, "diff", "--cached", "--binary", "-M")
    after = {p: (repo / p).read_bytes() for p in git(repo, "ls-files").split()}
    git(repo, "reset", "-q", "--hard", "HEAD")
    return repo, patch, after


def replay(model: GoldModel, repo: Path, messages: list[Message] | None = None, spoil: str = "") -> list[dict]:
    """Run every action the model gives against `repo` until it submits; the actions, in order
    (`messages`, when given, receives the conversation). A view of `spoil` answers an error instead."""
    messages = messages if messages is not None else []
    messages += [Message("system", "You fix bugs."), Message("user", "fix it")]
    actions = []
    while True:
        msg, _ = model.query(messages, TOOLS)
        call = msg.tool_calls[0].function
        args = json.loads(call.arguments)
        actions.append({"tool": call.name, **args})
        if call.name == "submit":
            messages += [msg, Message("tool", "diff", tool_call_id=msg.tool_calls[0].id, name="submit")]
            return actions
        patch_file = str(repo.parent / "gold.patch")  # the replay's /tmp file, kept inside the test's folder
        if call.name == "bash":
            r = subprocess.run(args["command"].replace(GOLD_PATCH_PATH, patch_file), shell=True, capture_output=True, text=True)
            out = r.stdout + r.stderr
            assert r.returncode == 0, out
        else:
            if args["path"] == GOLD_PATCH_PATH:
                args["path"] = patch_file
            out = container_tools.editor(args) if args["path"] != spoil else "Error: cannot read the file."
        messages += [msg, Message("tool", out, tool_call_id=msg.tool_calls[0].id, name=call.name)]


@pytest.fixture(autouse=True)
def editor_state(tmp_path, monkeypatch):
    monkeypatch.setattr(container_tools, "STATE", str(tmp_path / "state"))  # the editor's undo history


def _task(repo: Path, patch: str) -> TaskInstance:
    return TaskInstance("t-1", "o/r", git(repo, "rev-parse", "HEAD").strip(), patch, "", "Fix it.")


def _tree(repo: Path) -> dict[str, bytes]:
    return {p: (repo / p).read_bytes() for p in git(repo, "ls-files", "-co", "--exclude-standard").split()}


def test_gold_replay_edits_reproduce_the_patch(tmp_path):
    repo, patch, after = make_repo(tmp_path, binary=False)
    model = GoldModel(_task(repo, patch), workdir=str(repo))
    actions = replay(model, repo)
    assert _tree(repo) == after
    assert model.replay_mode == "edits" and model.patch_files == {}
    views = [a["path"] for a in actions if a.get("command") == "view"]
    assert views[0] == f"{repo}/pkg/core.py" and views.count(f"{repo}/pkg/long.py") >= 2  # clipped: read on
    edits = [a for a in actions if a.get("command") == "str_replace"]
    assert len(edits) == 5 and all(a["old_str"] != a["new_str"] for a in edits)  # one per hunk
    assert [a["path"] for a in actions if a.get("command") == "create"] == [f"{repo}/pkg/new.py"]
    assert any("git rm" in a.get("command", "") for a in actions)
    assert any("git mv" in a.get("command", "") for a in actions)
    assert not any(GOLD_PATCH_PATH in json.dumps(a) for a in actions)
    assert actions[-1]["tool"] == "submit"
    with pytest.raises(EndpointError):
        model.query([Message("user", "more")], TOOLS)


def test_only_what_the_editor_cannot_express_goes_in_as_a_patch(tmp_path):
    repo, patch, after = make_repo(tmp_path, binary=True)
    model = GoldModel(_task(repo, patch), workdir=str(repo))
    actions = replay(model, repo)
    assert _tree(repo) == after
    assert model.replay_mode == "mixed" and model.patch_files == {"logo.bin": "binary"}
    written = [a["file_text"] for a in actions if a.get("path") == GOLD_PATCH_PATH]
    assert len(written) == 1 and "logo.bin" in written[0] and "core.py" not in written[0]


def test_an_unreadable_view_falls_back_to_the_patch_for_that_file(tmp_path):
    repo, patch, after = make_repo(tmp_path, binary=False)
    model = GoldModel(_task(repo, patch), workdir=str(repo))
    actions = replay(model, repo, spoil=f"{repo}/pkg/core.py")  # its view answers an error
    assert _tree(repo) == after
    assert model.replay_mode == "mixed" and model.patch_files == {"pkg/core.py": "unreadable_view"}
    assert not any(a.get("path") == f"{repo}/pkg/core.py" and a["command"] != "view" for a in actions)


def _assistant_texts(sample) -> list[str]:
    """The text of each run of trained (assistant-masked) tokens of a rendered SFT sample."""
    from agentmt.corpus.tokenize import load_tokenizer

    enc = load_tokenizer("embedded")(sample.text, add_special_tokens=False, return_offsets_mapping=True)
    spans, prev = [], 0
    for (start, end), m in zip(enc["offset_mapping"], sample.assistant_mask):
        if m and not prev:
            spans.append([start, end])
        elif m:
            spans[-1][1] = end
        prev = m
    return [sample.text[a:b] for a, b in spans]


def test_what_envdata_render_trains_on_parses_back_to_the_replayed_actions(tmp_path):
    """D_env round trip: gold replay → SFT chat rows and MT text (as `envdata render` makes them) →
    every trained assistant turn parsed by the agent's own parser → the same calls, in order."""
    from agentmt.agents.formats import coerce_arguments, parse_xml_calls
    from agentmt.envdata.render import make_mt_text, make_rows, masked_observations
    from agentmt.corpus.tokenize import load_tokenizer
    from agentmt.training.chat import render_conversation
    from agentmt.types import Trajectory

    repo, patch, _ = make_repo(tmp_path, binary=True)  # editor calls, view ranges, bash and a patch
    keep: list[Message] = []
    actions = replay(GoldModel(_task(repo, patch), workdir=str(repo)), repo, keep)
    traj = Trajectory(id="t-1/replay", instance_id="t-1", run_index=0, model="gold", source="replay",
                      messages=keep, exit_status="submitted", resolved=True)
    tok = load_tokenizer("embedded")
    messages = masked_observations(traj.messages)
    text = make_mt_text(messages, tok)
    _, sft_row = make_rows(traj, messages, text, 0, None)
    sample = render_conversation(sft_row["messages"], tok)
    turns = _assistant_texts(sample)
    assert len(turns) == len(actions)
    parsed = []
    for turn in turns:
        assert turn.endswith(tok.eos_token or "<|im_end|>") and turn in text  # MT text holds the same turn
        thought, calls = parse_xml_calls(turn.removesuffix(tok.eos_token or "<|im_end|>"))
        assert thought and len(calls) == 1
        parsed.append({"tool": calls[0].name, **coerce_arguments(calls[0].name, calls[0].arguments)})
    assert parsed == actions
