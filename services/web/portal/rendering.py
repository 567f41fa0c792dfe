"""Turning Markdown someone wrote into HTML that is safe to show to everyone else.

A base module: the Holo-Net's posts and comments and A.D.A.'s answers (which quote
grader messages and a school's chat endpoint) all go through this one function, so there
is one place to get right:
CommonMark with raw HTML off, headings moved below the page's own (h1/h2 become h3),
then nh3 keeps only an explicit allow-list of tags, only `href` on links, only http,
https and mailto addresses, and marks every link as user content that search engines
must not credit and that cannot reach back into this page (`rel`).
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "em",
        "strong",
        "code",
        "pre",
        "ul",
        "ol",
        "li",
        "blockquote",
        "h3",
        "h4",
        "h5",
        "h6",
        "a",
        "hr",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href"}}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer ugc"
# The page's title is the h1 and its sections are h2: a member's headings start below.
TOP_HEADING = 3

# Tables are plain (their alignment styles are dropped); images are dropped by nh3.
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def render_user_markdown(text: str, top_heading: int = TOP_HEADING) -> str:
    """Sanitised HTML for Markdown from a member, a grader or an endpoint.

    Its headings start at `top_heading` (h3 by default), below the page's own.
    """
    tokens = _markdown.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = int(token.tag[1])
            token.tag = f"h{min(max(level, top_heading), 6)}"
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(LINK_SCHEMES),
        link_rel=LINK_REL,
    )
