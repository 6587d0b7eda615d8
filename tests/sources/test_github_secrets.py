"""A GitHub token pool (one token the server rejects, one it accepts): no token reaches the records,
the manifest, the markers, the API cache, AGENTMT_HOME or the console."""

from __future__ import annotations

import uuid

from github_server import demo_server, make_demo

from agentmt.sources.github.clock import FakeClock
from agentmt.sources.github.mine import mine_github


def test_no_token_of_the_pool_is_written_or_printed(tmp_path, monkeypatch, capfd):
    rejected = f"ghp_{uuid.uuid4().hex}{uuid.uuid4().hex[:4]}"
    monkeypatch.setenv("AGENTMT_HOME", str(tmp_path / "home"))
    demo = make_demo(tmp_path / "demo")
    clock = FakeClock()
    gh, name = demo_server(clock, demo, tokens=("good-token-planted-1234",))
    with gh:
        m = mine_github([name], tmp_path / "out", f"api_url={gh.url}", f"clone_dir={tmp_path / 'clones'}",
                        tokens=[rejected, "good-token-planted-1234"], clock=clock)
    assert m.extra["repos"] == {name: "mined"}
    assert gh.calls(401), "the rejected token was tried (so its error path ran too)"
    out = capfd.readouterr()
    for token in (rejected, "good-token-planted-1234"):
        assert token not in out.out + out.err
        for path in [*(tmp_path / "out").rglob("*"), *(tmp_path / "home").rglob("*")]:
            assert not path.is_file() or token.encode() not in path.read_bytes(), path
