#!/usr/bin/env bash
# Make sure a Docker daemon answers. On a machine that has one (the usual case) this does nothing.
# On a bare Debian machine (CI, this project's dev boxes) it installs docker.io and starts dockerd
# with no bridge network: task containers run with --network none anyway. The offline base image
# is built by agentmt itself (agentmt.environments.base) on first use and cached.
set -euo pipefail
if docker info >/dev/null 2>&1; then exit 0; fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  echo "ensure-docker: installing docker.io and debootstrap from Debian packages" >&2
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q docker.io debootstrap >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  echo "ensure-docker: starting dockerd (log: /tmp/agentmt-dockerd.log)" >&2
  $SUDO sh -c 'nohup dockerd --bridge=none > /tmp/agentmt-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
fi
docker info >/dev/null 2>&1 || { echo "ensure-docker: dockerd did not start; see /tmp/agentmt-dockerd.log" >&2; exit 1; }
# a loopback registry for the prebuilt-image tests (tests/environments/test_row_builds.py)
if ! command -v docker-registry >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-docker: installing docker-registry from Debian packages" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q docker-registry >/dev/null \
    || { $SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q docker-registry >/dev/null; }
fi
