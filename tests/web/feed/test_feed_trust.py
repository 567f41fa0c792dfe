"""New accounts write less per hour until they earn trust; the limits keep what was typed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.feed import posting
from portal.feed.trust import DEFAULT_POLICY, PostingThrottled, is_trusted
from portal.gamification.service import add_exp
from portal.models import Comment, Post, Role, utc_now
from tests.web.feed.feed_support import add_post, age, member, write_post


def test_a_new_account_posts_three_times_an_hour_then_gets_429_with_its_text(
    app, db, make_user, make_browser
):
    user, browser = member(make_user, make_browser, app, "Newbie", old=False)
    age(db, user, 0)
    for number in range(3):
        assert write_post(browser, f"Post {number}", "hello").status_code == 302
    refused = write_post(browser, "One more", "my precious text")
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "at most 3 posts an hour" in page and "my precious text" in page and "One more" in page
    assert len(db.scalars(select(Post)).all()) == 3


def test_the_new_post_limit_is_configurable(make_app, make_user, make_browser, db):
    app = make_app(FEED_NEW_POSTS_PER_HOUR=1)
    user, browser = member(make_user, make_browser, app, "Newbie", old=False)
    age(db, user, 0)
    assert write_post(browser, "One", "x").status_code == 302
    assert write_post(browser, "Two", "x").status_code == 429


def test_a_new_account_comments_ten_times_an_hour(app, db, make_user, make_browser):
    user, browser = member(make_user, make_browser, app, "Newbie", old=False)
    age(db, user, 0)
    post = add_post(db, user)
    path, page = f"/feed/posts/{post.id}/comments", f"/feed/posts/{post.id}"
    for number in range(10):
        assert browser.post_form(path, {"body": f"c{number}"}, page).status_code == 302
    refused = browser.post_form(path, {"body": "the eleventh"}, page)
    assert refused.status_code == 429 and "the eleventh" in refused.get_data(as_text=True)
    assert len(db.scalars(select(Comment)).all()) == 10


def test_age_or_exp_earns_trust_and_staff_always_have_it(app, db, make_user):
    now = utc_now()
    with app.app_context():
        young = make_user("young@example.org", display_name="Young")
        assert not is_trusted(db, young, DEFAULT_POLICY, now)
        assert is_trusted(db, young, DEFAULT_POLICY, now + timedelta(days=3, minutes=1))
        add_exp(db, young, 100, "lab", "young:lab")
        db.commit()
        assert is_trusted(db, young, DEFAULT_POLICY, now)
        staff = make_user("staff@example.org", display_name="Staff", role=Role.INSTRUCTOR)
        assert is_trusted(db, staff, DEFAULT_POLICY, now)


def test_a_trusted_account_posts_thirty_an_hour_and_the_window_slides(app, db, make_user):
    now = utc_now()
    with app.app_context():
        user = make_user("old@example.org", display_name="Old")
        user.created_at = now - timedelta(days=10)
        for number in range(30):
            posting.create_post(db, user, f"P{number}", "x", DEFAULT_POLICY, now)
        with pytest.raises(PostingThrottled, match="at most 30 posts an hour"):
            posting.create_post(db, user, "P31", "x", DEFAULT_POLICY, now)
        later = now + timedelta(hours=1, seconds=1)
        posting.create_post(db, user, "P31", "x", DEFAULT_POLICY, later)
        post = db.scalars(select(Post)).first()
        for number in range(120):
            posting.add_comment(db, user, post, f"c{number}", DEFAULT_POLICY, later)
        with pytest.raises(PostingThrottled, match="at most 120 comments an hour"):
            posting.add_comment(db, user, post, "one more", DEFAULT_POLICY, later)
