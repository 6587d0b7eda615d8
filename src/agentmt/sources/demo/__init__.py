"""The embedded demo: a small pure-Python library (`textkit`) with a real, deterministic git
history of merged pull requests, plus GitHub-REST-shaped metadata for the same PRs."""

from __future__ import annotations

from agentmt.sources.demo.build import build_demo
from agentmt.sources.demo.info import DemoInfo

__all__ = ["DemoInfo", "build_demo"]
