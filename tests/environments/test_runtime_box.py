"""DockerEnvironment's box on a real daemon: by default no capabilities, no-new-privileges and a size-limited
tmpfs /tmp that file transfers still reach; on request another user or a read-only root."""

from __future__ import annotations

import pytest

from agentmt.environments.runtime import DockerEnvironment, RuntimeConfig

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def image(docker_daemon):
    from agentmt.environments.base import ensure_base_image

    return ensure_base_image("bookworm")


def test_the_default_box(image, tmp_path):
    with DockerEnvironment(image, RuntimeConfig(workdir="/", scratch_size="16m")) as env:
        host = env.container.attrs["HostConfig"]
        assert host["CapDrop"] == ["ALL"] and not host["CapAdd"] and host["SecurityOpt"] == ["no-new-privileges"]
        out, _ = env.execute("grep -E 'CapEff|NoNewPrivs' /proc/self/status; df -m --output=size /tmp | tail -1")
        assert "CapEff:\t0000000000000000" in out and "NoNewPrivs:\t1" in out and out.split()[-1] == "16"
        # the scratch is bounded: writing past it fails instead of filling the host's disk
        out, rc = env.execute("head -c 20M /dev/zero > /tmp/big")
        assert rc != 0 and "No space left" in out
        env.execute("rm -f /tmp/big && mkdir /tmp/in")
        env.write_file("/tmp/in/a.txt", "on the tmpfs\n")  # docker's archive API alone cannot see a tmpfs
        env.write_file("/tmp/new/deep/b.txt", "made with its folders\n", parents=True)
        (tmp_path / "c.txt").write_text("copied in\n")
        env.copy_to(tmp_path / "c.txt", "/tmp/in")
        assert env.execute("cat /tmp/in/a.txt /tmp/in/c.txt /tmp/new/deep/b.txt")[0] == (
            "on the tmpfs\ncopied in\nmade with its folders\n")
        back = env.copy_from("/tmp/in", tmp_path / "back")
        assert sorted(p.name for p in back.iterdir()) == ["a.txt", "c.txt"]
        assert env.execute("ls -A /.agentmt-stage")[0] == ""  # staging leaves nothing behind
        with pytest.raises(FileNotFoundError):
            env.write_file("/tmp/missing/x.txt", "no folder")


def test_another_user_and_a_read_only_root(image):
    cfg = RuntimeConfig(workdir="/srv", user="65534:65534", read_only_root=True)
    with DockerEnvironment(image, cfg) as env:
        out, _ = env.execute("id -u; touch /etc/x 2>&1; touch /tmp/ok && echo tmp-ok")
        assert out.splitlines()[0] == "65534" and "Read-only file system" in out and "tmp-ok" in out
        env.write_file("/tmp/t.txt", "for nobody\n")  # staged as root, readable by the user
        assert env.execute("cat /tmp/t.txt")[0] == "for nobody\n"
