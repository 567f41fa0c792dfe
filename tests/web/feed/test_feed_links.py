"""Bare addresses in posts and comments become links, through the same sanitiser as
Markdown links: http and https only, `rel="nofollow ugc noopener"` (and noreferrer)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.models import Comment, Post
from portal.rendering import render_user_markdown
from tests.web.feed.feed_support import age, member, write_post

REL = "nofollow noopener noreferrer ugc"


def _links(html: str) -> list[tuple[str, str, str]]:
    """(href, rel, text) of every link."""
    return re.findall(r'<a href="([^"]*)" rel="([^"]*)">(.*?)</a>', html)


@pytest.mark.parametrize(
    ("text", "href", "after"),
    [
        (
            "see https://nodejs.org/api/worker_threads.html.",
            "https://nodejs.org/api/worker_threads.html",
            ".",
        ),
        ("docs: http://example.org/a?b=1&c=2, then", "http://example.org/a?b=1&amp;c=2", ", then"),
        (
            "(https://en.wikipedia.org/wiki/Thread_(computing))",
            "https://en.wikipedia.org/wiki/Thread_(computing)",
            ")",
        ),
        ("HTTPS://EXAMPLE.ORG/X!", "HTTPS://EXAMPLE.ORG/X", "!"),
    ],
)
def test_a_bare_address_becomes_a_link_that_ends_where_the_address_does(text, href, after):
    html = render_user_markdown(text)
    [(found, rel, shown)] = _links(html)
    assert (found, shown) == (href, href)
    assert set(rel.split()) >= {"nofollow", "ugc", "noopener"}
    assert html.split("</a>", 1)[1].startswith(after)


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "JavaScript://example.org/%0Aalert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1) file:///etc/passwd ftp://example.org/x",
        "`https://in.code.example/` and\n\n    https://in.block.example/",
    ],
)
def test_nothing_else_becomes_a_link(text):
    assert _links(render_user_markdown(text)) == []
    assert "<a" not in render_user_markdown(text)


def test_an_address_inside_a_link_is_not_linked_twice():
    html = render_user_markdown("[https://a.example/](https://b.example/) <https://c.example/>")
    assert [href for href, _, _ in _links(html)] == ["https://b.example/", "https://c.example/"]


def test_posts_and_comments_link_their_bare_addresses(app, db, make_user, make_browser):
    user, browser = member(make_user, make_browser, app, "Ada")
    age(db, user, 30)
    write_post(browser, "Reading", "The docs: https://nodejs.org/api/worker_threads.html")
    post = db.scalars(select(Post)).one()
    path = f"/feed/posts/{post.id}"
    browser.post_form(f"{path}/comments", {"body": "also https://example.org/x"}, form_page=path)
    assert db.scalars(select(Comment)).one() is not None
    page = browser.client.get(path).get_data(as_text=True)
    hrefs = {href: rel for href, rel, _ in _links(page)}
    assert hrefs["https://nodejs.org/api/worker_threads.html"] == REL
    assert hrefs["https://example.org/x"] == REL
