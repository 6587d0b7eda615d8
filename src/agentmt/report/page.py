"""The HTML shell shared by the report's pages: one stylesheet inline, no scripts, no remote assets
(the folder opens from disk, offline)."""

from __future__ import annotations

import html

_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:70em;padding:0 1em;color:#222}
pre{background:#f6f8fa;padding:.5em;overflow-x:auto;white-space:pre-wrap;word-break:break-word;margin:.3em 0}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}
.step{border-left:3px solid #4a7;padding-left:.8em;margin-top:1em}.obs{margin-left:1em}
.absent{color:#a60;font-style:italic}.PASSED,.ran{color:#070}.FAILED,.ERROR,.failed,.blocked{color:#b00}
img{max-width:100%}nav a{margin-right:.5em}summary{cursor:pointer}
"""


def page(title: str, body: str) -> str:
    """A complete HTML document; `title` is escaped here, `body` must already be escaped HTML."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="icon" href="data:,"><title>{html.escape(title)}</title><style>{_CSS}</style></head>'
            f"<body>\n{body}\n</body></html>\n")


def absent(what: str) -> str:
    """The line a section shows when the run folder holds none of its data."""
    return f'<p class="absent">{html.escape(what)}</p>'
