"""Markdown for content (missions, summaries), rendered and then sanitised.

Only course content goes through here, never student text: raw HTML in the source is
not passed through, and nh3 strips whatever markup is not on its safe list anyway.

The content is fixed for the life of a process, so each text is rendered once per process
and kept (bounded): a step page renders a dozen blocks on every request otherwise.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from flask import Flask
from markdown_it import MarkdownIt
from markupsafe import Markup

# CommonMark plus tables (the guide compares options in one).
_renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
# Enough for every text of a large catalogue; rendered HTML is a few KB at most.
CACHED_TEXTS = 4096


@lru_cache(maxsize=CACHED_TEXTS)
def render_markdown(text: str) -> Markup:
    """Safe HTML for a Markdown text from the content files."""
    return Markup(nh3.clean(_renderer.render(text)))


@lru_cache(maxsize=CACHED_TEXTS)
def render_markdown_inline(text: str) -> Markup:
    """Safe HTML for one line of Markdown (no paragraph), e.g. an answer option."""
    return Markup(nh3.clean(_renderer.renderInline(text)))


def init_app(app: Flask) -> None:
    """Make `{{ text | markdown }}` and `{{ text | markdown_inline }}` available."""
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_filter(render_markdown_inline, "markdown_inline")
