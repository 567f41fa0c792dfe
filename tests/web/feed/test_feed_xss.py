"""Every payload of the XSS corpus stays inert in a post's title and body and a comment."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.models import Comment, Post, Role
from tests.web.feed.feed_support import member, write_post
from tests.web.xss_corpus import PAYLOADS, dangerous_markup


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_in_a_post_and_a_comment_is_inert_on_every_feed_page(
    app, db, make_user, make_browser, payload
):
    _, author = member(make_user, make_browser, app, "Mallory")
    _, staff = member(make_user, make_browser, app, "Ines", Role.INSTRUCTOR)
    response = write_post(author, payload[:200], f"Before\n\n{payload}\n\nafter")
    assert response.status_code == 302, response.get_data(as_text=True)
    post = db.scalars(select(Post)).one()
    path = f"/feed/posts/{post.id}"
    assert author.post_form(f"{path}/comments", {"body": payload}, path).status_code == 302
    comment = db.scalars(select(Comment)).one()
    assert author.post_form(f"{path}/flag", {"reason": payload}, path).status_code == 302
    assert author.post_form(f"/feed/comments/{comment.id}/flag", {"reason": payload}, path)
    for browser, page in (
        (author, "/feed/"),
        (author, path),
        (staff, path),
        (staff, "/feed/moderation"),
    ):
        html = browser.client.get(page).get_data(as_text=True)
        assert dangerous_markup(html) == [], page
    for stored in (post.body_html, comment.body_html):
        assert dangerous_markup(stored) == []
        for address in re.findall(r'<a href="([^"]*)"', stored):
            assert address.startswith(("http://", "https://", "mailto:")), address


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:window.__xss=1)",
        "[x](JaVaScRiPt:window.__xss=1)",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "<javascript:window.__xss=1>",
        "[x](vbscript:msgbox(1))",
    ],
)
def test_javascript_and_data_links_are_dropped(app, db, make_user, make_browser, link):
    _, author = member(make_user, make_browser, app, "Mallory")
    write_post(author, "Links", link)
    html = db.scalars(select(Post)).one().body_html
    assert "href" not in html
