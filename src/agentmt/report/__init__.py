"""The HTML report of a run folder and its trajectory viewer (`agentmt report`)."""

from agentmt.report.build import build_report

__all__ = ["build_report"]
