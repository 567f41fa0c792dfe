"""Turning Markdown someone wrote into HTML that is safe to show to everyone else.

A base module: the Holo-Net's posts and comments and A.D.A.'s answers (which quote
grader messages and a school's chat endpoint) all go through this one function, so there
is one place to get right:
CommonMark with raw HTML off, headings moved below the page's own (h1/h2 become h3),
bare http(s) addresses in the text made links (`_link_bare_urls`; only those two schemes,
so a bare `javascript:` stays text), then nh3 keeps only an explicit allow-list of tags,
only `href` on links, only http, https and mailto addresses, and marks every link as user
content that search engines must not credit and that cannot reach back into this page
(`rel`).
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

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

# A bare address: http(s)://, then anything up to a space, a quote or an angle bracket.
_BARE_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
# Punctuation that ends a sentence rather than the address ("see https://x.org.").
_TRAILING = ".,;:!?'\"*_~"


def _url_end(url: str) -> str:
    """`url` without the punctuation that follows it in prose; a `)` stays only when it
    closes a `(` of the address (Wikipedia's "Foo_(bar)")."""
    while url:
        if url[-1] in _TRAILING:
            url = url[:-1]
        elif url[-1] == ")" and url.count(")") > url.count("("):
            url = url[:-1]
        else:
            break
    return url


def _link_bare_urls(state: StateCore) -> None:
    """Make the bare http(s) addresses of text tokens links (not inside links or code).

    markdown-it's own `linkify` needs the linkify-it package; this covers what members
    write (whole addresses with a scheme) and nothing else.
    """
    md = state.md
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        depth = 0
        for token in block.children:
            depth += {"link_open": 1, "link_close": -1}.get(token.type, 0)
            if token.type != "text" or depth or "://" not in token.content:
                children.append(token)
                continue
            children.extend(_split_text(md, token))
        block.children = children


def _split_text(md: MarkdownIt, token: Token) -> list[Token]:
    text, done, pieces = token.content, 0, []
    for match in _BARE_URL.finditer(text):
        url = _url_end(match.group())
        href = md.normalizeLink(url)
        if len(url) <= len("https://") or not md.validateLink(href):
            continue
        if match.start() > done:
            pieces.append(_text(text[done : match.start()], token.level))
        link_open = Token("link_open", "a", 1, attrs={"href": href}, markup="linkify")
        link_open.level = token.level
        pieces += [
            link_open,
            _text(md.normalizeLinkText(url), token.level + 1),
            Token("link_close", "a", -1, markup="linkify", level=token.level),
        ]
        done = match.start() + len(url)
    if not pieces:
        return [token]
    if done < len(text):
        pieces.append(_text(text[done:], token.level))
    return pieces


def _text(content: str, level: int) -> Token:
    return Token("text", "", 0, content=content, level=level)


# Tables are plain (their alignment styles are dropped); images are dropped by nh3.
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
_markdown.core.ruler.push("bare_urls", _link_bare_urls)


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
