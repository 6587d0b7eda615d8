"""env.build_network: the bridge where the daemon has one, the host's network only when asked or when
the daemon has no bridge (auto), and "none" for builds that install nothing."""

from __future__ import annotations

import pytest

from agentmt.environments import base
from agentmt.environments.config import EnvConfig
from agentmt.errors import ConfigError


@pytest.mark.parametrize("setting, has_bridge, expected", [
    ("auto", True, "default"), ("auto", False, "host"), ("host", True, "host"), ("bridge", False, "default"),
])
def test_the_setting_and_the_daemon_choose_the_build_network(monkeypatch, setting, has_bridge, expected):
    monkeypatch.setattr(base, "_BRIDGE", [has_bridge])
    monkeypatch.setattr(base, "_BUILD_NETWORK", {"setting": "auto"})
    base.use_build_network(setting)
    assert base.build_network() == expected


@pytest.mark.docker
def test_docker_build_gets_the_network_only_when_it_installs(docker_daemon, monkeypatch, tmp_path):
    from agentmt.environments import images

    base_tag = base.ensure_base_image("bookworm")
    monkeypatch.setattr(base, "_BUILD_NETWORK", {"setting": "host"})
    # a build sees only loopback under --network none, and the host's interfaces too under --network host
    for network_host, test in ((False, "="), (True, "!=")):
        (tmp_path / "Dockerfile").write_text(f"FROM {base_tag}\nRUN test \"$(ls /sys/class/net)\" {test} lo\n")
        tag = f"agentmt-test-buildnet:{int(network_host)}"
        try:
            images.docker_build(tmp_path, tag, network_host=network_host)
        finally:
            images.dockerapi.remove(tag)


def test_an_unknown_build_network_is_a_config_error():
    from agentmt.config import validate_config

    assert EnvConfig().build_network == "auto"
    with pytest.raises(ConfigError, match="build_network"):
        validate_config(EnvConfig, {"build_network": "bridgee"})
