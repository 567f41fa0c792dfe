"""Text boxes start taller than a browser's two rows: a post 12, a comment, a question to
A.D.A. and an error report 6, a reply 4 (issue 14: every box was two rows tall)."""

from __future__ import annotations

import re

from portal.ada.forms import QuestionForm
from tests.web.feed.feed_support import add_comment, add_post, age, member

STEP = "/courses/node-workers/steps/event-loop"


def _rows(page: str, textarea_id: str) -> int:
    tag = re.search(rf'<textarea[^>]*\bid="{textarea_id}"[^>]*>', page)
    assert tag is not None, f"no textarea {textarea_id}"
    rows = re.search(r'\brows="(\d+)"', tag.group())
    return int(rows.group(1)) if rows else 2  # a browser's default


def test_post_comment_reply_and_report_boxes_are_taller_than_two_rows(
    app, db, make_user, make_browser
):
    user, browser = member(make_user, make_browser, app, "Ada")
    age(db, user, 30)
    assert _rows(browser.client.get("/feed/new").get_data(as_text=True), "body") >= 10
    post = add_post(db, user)
    comment = add_comment(db, user, post)
    page = browser.client.get(f"/feed/posts/{post.id}").get_data(as_text=True)
    assert _rows(page, "body") >= 6
    assert _rows(page, f"reply-{comment.id}") >= 4
    assert _rows(browser.client.get(f"{STEP}/report").get_data(as_text=True), "message") >= 6


def test_a_question_to_ada_has_six_rows(app):
    with app.test_request_context("/"):
        assert _rows(QuestionForm().question(), "question") >= 6
