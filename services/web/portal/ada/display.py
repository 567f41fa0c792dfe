"""How a stored answer is shown: its Markdown rendered, then sanitised.

Answers are stored as Markdown (the offline engine's paragraphs, with inline code and
quotes, or whatever the school's endpoint said, which may carry anything). They go
through the same renderer as the Holo-Net's posts: CommonMark with raw HTML off, then an
allow-list of tags and link schemes. An answer sits under its consultation's h3, so its
own headings start at h4.
"""

from __future__ import annotations

from markupsafe import Markup

from portal.rendering import render_user_markdown

ANSWER_TOP_HEADING = 4


def render_answer(text: str) -> Markup:
    """Safe HTML for a stored answer."""
    return Markup(render_user_markdown(text or "", top_heading=ANSWER_TOP_HEADING))
