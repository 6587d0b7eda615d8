"""agentmt: turn real software history into training data and models for code agents.

Importing this package is cheap: heavy dependencies (torch, transformers, docker, githubkit)
are imported inside the functions that need them.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
