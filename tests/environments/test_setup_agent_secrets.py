"""The setup agent's model given as http://user:KEY@host/v1 with a key in setup_agent.sampling.api_key:
neither key reaches the validated or failed task records, the manifest, the markers or the logs."""

from __future__ import annotations

import uuid

import pytest
from fake_endpoint import FakeEndpoint, chat_answer
from test_setup_agent import _failed, _validate, envfile_task  # noqa: F401  (the built task fixture)

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.mark.timeout(600)
def test_the_setup_agent_records_no_key(envfile_task):  # noqa: F811
    root, _, _ = envfile_task
    url_key, cfg_key = (f"sk-planted{k}{uuid.uuid4().hex}" for k in ("url", "cfg"))
    with FakeEndpoint([(200, chat_answer("Let me think about the tests."))]) as fake:
        url = fake.base_url.replace("http://", f"http://user:{url_key}@")
        _, out, _ = _validate(root, "planted", [], f"setup_agent.model={url}", "setup_agent.step_limit=2",
                              f"setup_agent.sampling.api_key={cfg_key}")
    assert fake.posts, "the setup agent asked the endpoint"
    rec = _failed(out).validation["setup_agent"]
    assert "<redacted>" in rec["model"], rec["model"]
    for key in (url_key, cfg_key):
        hits = [p for p in out.rglob("*") if p.is_file() and key.encode() in p.read_bytes()]
        assert not hits, hits
