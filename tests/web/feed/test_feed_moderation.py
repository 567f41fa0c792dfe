"""Flags and the review queue: hide, restore, dismiss, suspend; the log; who may do what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.models import AuditEvent, Flag, Notification, Post, Role, User, utc_now
from tests.web.feed.feed_support import add_comment, add_post, member, write_post


@pytest.fixture
def people(app, make_user, make_browser):
    cast = {}
    for name, role in (
        ("Ada", Role.STUDENT),
        ("Bob", Role.STUDENT),
        ("Ines", Role.INSTRUCTOR),
        ("Sam", Role.SCHOOL_ADMIN),
    ):
        cast[name] = member(make_user, make_browser, app, name, role)
    return cast


def _flag(browser, path, reason=""):
    return browser.post_form(path, {"reason": reason}, form_page="/feed/")


def test_the_database_holds_one_flag_per_member_and_item(db, people):
    # Two requests racing past the service's check still cannot flag twice.
    ada, _ = people["Ada"]
    bob, _ = people["Bob"]
    post = add_post(db, ada, "Spam?", "buy things")
    comment = add_comment(db, ada, post, "more spam")
    for item in ({"post_id": post.id}, {"comment_id": comment.id}):
        db.add(Flag(tenant_id=bob.tenant_id, reporter_id=bob.id, **item))
        db.commit()
        db.add(Flag(tenant_id=bob.tenant_id, reporter_id=bob.id, **item))
        with pytest.raises(IntegrityError):
            db.commit()
        db.rollback()
    both = Flag(tenant_id=bob.tenant_id, reporter_id=bob.id, post_id=post.id, comment_id=comment.id)
    db.add(both)
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_anyone_flags_an_item_once_with_an_optional_reason(db, people):
    ada, _ = people["Ada"]
    _, bob = people["Bob"]
    post = add_post(db, ada, "Spam?", "buy things")
    comment = add_comment(db, ada, post, "more spam")
    assert _flag(bob, f"/feed/posts/{post.id}/flag", "It is an advert").status_code == 302
    again = _flag(bob, f"/feed/posts/{post.id}/flag", "again")
    assert again.status_code == 409 and "You flagged this already" in again.get_data(as_text=True)
    assert _flag(bob, f"/feed/comments/{comment.id}/flag").status_code == 302
    flags = db.scalars(select(Flag).order_by(Flag.id)).all()
    assert [(f.post_id, f.comment_id, f.reason) for f in flags] == [
        (post.id, None, "It is an advert"),
        (None, comment.id, ""),
    ]


def test_a_reason_over_500_characters_is_refused(db, people):
    ada, _ = people["Ada"]
    _, bob = people["Bob"]
    post = add_post(db, ada)
    response = _flag(bob, f"/feed/posts/{post.id}/flag", "x" * 501)
    assert response.status_code == 422 and "at most 500 characters" in response.get_data(
        as_text=True
    )
    assert db.scalars(select(Flag)).all() == []


def test_the_queue_groups_open_flags_by_item_for_staff_only(db, people):
    ada, _ = people["Ada"]
    _, bob = people["Bob"]
    _, sam_browser = people["Sam"]
    _, ines = people["Ines"]
    post = add_post(db, ada, "Flagged post", "offending text")
    _flag(bob, f"/feed/posts/{post.id}/flag", "rude")
    _flag(sam_browser, f"/feed/posts/{post.id}/flag", "very rude")
    page = ines.client.get("/feed/moderation")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Flagged post" in text and "offending text" in text and "2 flags" in text
    assert "rude" in text and "very rude" in text and "Ada" in text
    assert bob.client.get("/feed/moderation").status_code == 403


def _moderate(browser, path, action, days=None):
    data = {"action": action} | ({"days": str(days)} if days is not None else {})
    return browser.post_form(path, data, form_page="/feed/moderation")


def test_hide_then_restore_resolves_flags_notifies_and_logs(db, people):
    ada, ada_browser = people["Ada"]
    _, bob = people["Bob"]
    ines_user, ines = people["Ines"]
    post = add_post(db, ada, "Bad post", "bad words")
    _flag(bob, f"/feed/posts/{post.id}/flag", "bad")
    assert _moderate(ines, f"/feed/moderation/posts/{post.id}", "hide").status_code == 302
    db.expire_all()
    assert db.get(Post, post.id).hidden_at is not None
    flag = db.scalars(select(Flag)).one()
    assert (flag.outcome, flag.resolved_by_id) == ("hidden", ines_user.id)
    told = db.scalars(select(Notification).where(Notification.user_id == ada.id)).one()
    assert told.kind == "moderation" and told.link == f"/feed/posts/{post.id}"
    # Students see the notice, staff see the text with a badge.
    student_page = bob.client.get(f"/feed/posts/{post.id}").get_data(as_text=True)
    assert "This post was hidden by the moderators." in student_page
    assert "bad words" not in student_page
    staff_page = ines.client.get(f"/feed/posts/{post.id}").get_data(as_text=True)
    assert "bad words" in staff_page and ">hidden</span>" in staff_page
    assert "No open flags" in ines.client.get("/feed/moderation").get_data(as_text=True)
    assert _moderate(ines, f"/feed/moderation/posts/{post.id}", "restore").status_code == 302
    db.expire_all()
    assert db.get(Post, post.id).hidden_at is None
    assert "bad words" in ada_browser.client.get(f"/feed/posts/{post.id}").get_data(as_text=True)
    events = db.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.target) for e in events] == [
        ("moderation.hidden", f"post:{post.id}"),
        ("moderation.restored", f"post:{post.id}"),
    ]
    log = ines.client.get("/feed/moderation").get_data(as_text=True)
    assert "moderation.hidden" in log and "moderation.restored" in log and "Ines" in log


def test_a_hidden_post_takes_no_new_comments(db, people):
    ada, _ = people["Ada"]
    _, bob = people["Bob"]
    post = add_post(db, ada, "Gone", "text", hidden_at=utc_now())
    path = f"/feed/posts/{post.id}"
    response = bob.post_form(f"{path}/comments", {"body": "still here?"}, path)
    assert response.status_code == 422
    assert "takes no new comments" in response.get_data(as_text=True)


def test_dismiss_keeps_a_comment_and_resolves_its_flags(db, people):
    ada, _ = people["Ada"]
    _, bob = people["Bob"]
    _, ines = people["Ines"]
    post = add_post(db, ada)
    comment = add_comment(db, ada, post, "fine words")
    _flag(bob, f"/feed/comments/{comment.id}/flag")
    assert _moderate(ines, f"/feed/moderation/comments/{comment.id}", "dismiss").status_code == 302
    flag = db.scalars(select(Flag)).one()
    assert flag.outcome == "kept" and flag.resolved_at is not None
    event = db.scalars(select(AuditEvent)).one()
    assert (event.action, event.target) == ("moderation.dismissed", f"comment:{comment.id}")
    assert "fine words" in bob.client.get(f"/feed/posts/{post.id}").get_data(as_text=True)


def test_suspension_hides_the_item_and_blocks_posting_commenting_and_reacting(db, people):
    ada, ada_browser = people["Ada"]
    _, bob = people["Bob"]
    _, ines = people["Ines"]
    post = add_post(db, ada, "Bad", "bad")
    _flag(bob, f"/feed/posts/{post.id}/flag")
    response = _moderate(ines, f"/feed/moderation/posts/{post.id}", "suspend", days=7)
    assert response.status_code == 302
    db.expire_all()
    until = db.get(User, ada.id).posting_suspended_until
    assert until is not None and timedelta(days=6) < until - utc_now() <= timedelta(days=7)
    assert db.scalars(select(Flag)).one().outcome == "author_suspended"
    actions = {(e.action, e.target) for e in db.scalars(select(AuditEvent))}
    assert ("moderation.suspended", f"user:{ada.id}") in actions
    assert ("moderation.hidden", f"post:{post.id}") in actions
    told = [
        n.message for n in db.scalars(select(Notification).where(Notification.user_id == ada.id))
    ]
    assert any(
        f"suspended you from posting on the Holo-Net until {until:%Y-%m-%d}" in m for m in told
    )
    other = add_post(db, people["Ines"][0], "Staff post", "hello")
    refused = write_post(ada_browser, "Still here", "my text")
    assert refused.status_code == 403
    text = refused.get_data(as_text=True)
    assert f"until {until:%Y-%m-%d}" in text and "my text" in text
    comment = ada_browser.post_form(
        f"/feed/posts/{other.id}/comments", {"body": "a comment"}, f"/feed/posts/{other.id}"
    )
    assert comment.status_code == 403 and "a comment" in comment.get_data(as_text=True)
    react = ada_browser.post_form(
        f"/feed/posts/{other.id}/reactions", {"kind": "like"}, f"/feed/posts/{other.id}"
    )
    assert react.status_code == 403 and "suspended" in react.get_data(as_text=True)


@pytest.mark.parametrize("days", [0, 91, None])
def test_a_suspension_lasts_1_to_90_days(db, people, days):
    ada, _ = people["Ada"]
    _, ines = people["Ines"]
    post = add_post(db, ada)
    response = _moderate(ines, f"/feed/moderation/posts/{post.id}", "suspend", days=days)
    assert response.status_code == 422
    assert "1 to 90 days" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(User, ada.id).posting_suspended_until is None


def test_an_instructor_cannot_suspend_staff_nor_anyone_themselves(db, people):
    ines_user, ines = people["Ines"]
    sam_user, sam = people["Sam"]
    by_sam = add_post(db, sam_user, "Admin post")
    by_ines = add_post(db, ines_user, "Instructor post")
    refused = _moderate(ines, f"/feed/moderation/posts/{by_sam.id}", "suspend", days=3)
    assert refused.status_code == 422
    assert "Only an admin can suspend a member of staff" in refused.get_data(as_text=True)
    itself = _moderate(ines, f"/feed/moderation/posts/{by_ines.id}", "suspend", days=3)
    assert itself.status_code == 422 and "cannot suspend yourself" in itself.get_data(as_text=True)
    assert (
        _moderate(sam, f"/feed/moderation/posts/{by_ines.id}", "suspend", days=3).status_code == 302
    )
    db.expire_all()
    assert db.get(User, sam_user.id).posting_suspended_until is None
    assert db.get(User, ines_user.id).posting_suspended_until is not None


def test_students_cannot_moderate_or_pin(db, people):
    ada, _ = people["Ada"]
    _, bob = people["Bob"]
    post = add_post(db, ada)
    assert _moderate(bob, f"/feed/moderation/posts/{post.id}", "hide").status_code == 403
    assert bob.post_form(f"/feed/posts/{post.id}/pin", {}, "/feed/").status_code == 403
    db.expire_all()
    assert db.get(Post, post.id).hidden_at is None and not db.get(Post, post.id).pinned


def test_staff_pin_and_unpin_a_post_to_the_top(db, people):
    ada, _ = people["Ada"]
    _, ines = people["Ines"]
    old = add_post(db, ada, "Old but important")
    add_post(db, ada, "Newer chatter")
    assert ines.post_form(f"/feed/posts/{old.id}/pin", {}, "/feed/").status_code == 302
    feed = ines.client.get("/feed/").get_data(as_text=True)
    assert feed.index("Old but important") < feed.index("Newer chatter")
    assert ines.post_form(f"/feed/posts/{old.id}/unpin", {}, "/feed/").status_code == 302
    feed = ines.client.get("/feed/").get_data(as_text=True)
    assert feed.index("Newer chatter") < feed.index("Old but important")
    actions = [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["feed.pinned", "feed.unpinned"]
