"""Markdown for content (missions, summaries), rendered and then sanitised.

Only course content goes through here, never student text: raw HTML in the source is
not passed through, and nh3 strips whatever markup is not on its safe list anyway.
"""

from __future__ import annotations

import nh3
from flask import Flask
from markdown_it import MarkdownIt
from markupsafe import Markup

# CommonMark plus tables (the guide compares options in one).
_renderer = MarkdownIt("commonmark", {"html": False}).enable("table")


def render_markdown(text: str) -> Markup:
    """Safe HTML for a Markdown text from the content files."""
    return Markup(nh3.clean(_renderer.render(text)))


def render_markdown_inline(text: str) -> Markup:
    """Safe HTML for one line of Markdown (no paragraph), e.g. an answer option."""
    return Markup(nh3.clean(_renderer.renderInline(text)))


def init_app(app: Flask) -> None:
    """Make `{{ text | markdown }}` and `{{ text | markdown_inline }}` available."""
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_filter(render_markdown_inline, "markdown_inline")
