"""Bidirectional control characters cannot spoof a user's text (see portal.bidi).

Names, post titles and bodies, comments and error reports typed with the controls are
stored without them and shown without them; rows written before the filter (put in with
raw SQL here, past the ORM) are shown without them too; a student's code keeps them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from portal.models import Comment, ErrorReport, Post, Role, Submission, User
from tests.web.bidi_corpus import SAMPLES, controls_in
from tests.web.conftest import PASSWORD, log_in_as
from tests.web.feed.feed_support import add_post, member

STEP = "/courses/node-workers/steps/event-loop"


@pytest.mark.parametrize(("typed", "expected"), SAMPLES)
def test_a_registered_name_is_stored_and_shown_without_controls(
    app, db, make_browser, make_user, typed, expected
):
    browser = make_browser(app)
    response = browser.register("spoof@example.org", typed, "a long enough password 1")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = db.scalars(select(User).where(User.email == "spoof@example.org")).one()
    assert user.display_name == expected
    admin = make_user("head@example.org", PASSWORD, "Head", role=Role.SCHOOL_ADMIN)
    page = log_in_as(make_browser, app, admin).client.get("/admin/users").get_data(as_text=True)
    assert expected in page and controls_in(page) == []


def test_posts_comments_and_reports_are_stored_and_shown_without_controls(
    app, db, make_user, make_browser
):
    author, browser = member(make_user, make_browser, app, "Ada")
    for typed, expected in SAMPLES:
        response = browser.post_form("/feed/new", {"title": typed, "body": f"Body {typed}"})
        assert response.status_code == 302, response.get_data(as_text=True)
        post = db.scalars(select(Post).order_by(Post.id.desc())).first()
        assert (post.title, post.body_markdown) == (expected, f"Body {expected}")
        assert controls_in(post.body_html) == []
        path = f"/feed/posts/{post.id}"
        response = browser.post_form(f"{path}/comments", {"body": typed}, form_page=path)
        assert response.status_code == 302, response.get_data(as_text=True)
        comment = db.scalars(select(Comment).order_by(Comment.id.desc())).first()
        assert comment.body_markdown == expected and controls_in(comment.body_html) == []
        page = browser.client.get(path).get_data(as_text=True)
        assert controls_in(page) == [], path
    # A report's message must be 10 characters at least: padded.
    for typed, expected in SAMPLES[:3]:
        response = browser.post_form(f"{STEP}/report", {"message": f"{typed} is wrong here"})
        assert response.status_code in (200, 302), response.get_data(as_text=True)
        stored = db.scalars(select(ErrorReport.message).order_by(ErrorReport.id.desc())).first()
        assert stored == f"{expected} is wrong here"
    staff = make_user("teacher@example.org", PASSWORD, "Teach", role=Role.INSTRUCTOR)
    staff_browser = log_in_as(make_browser, app, staff)
    for page_path in ("/feed/", "/admin/reports"):
        page = staff_browser.client.get(page_path).get_data(as_text=True)
        assert controls_in(page) == [], page_path
    assert "RTL override" in staff_browser.client.get("/feed/").get_data(as_text=True)


def test_text_stored_before_the_filter_is_shown_without_controls(app, db, make_user, make_browser):
    author, browser = member(make_user, make_browser, app, "Ada")
    post = add_post(db, author, "Plain title", "Plain body")
    spoofed = "RTL \u202eoverride"
    # Past the ORM, as an old row or another program would have written it.
    db.execute(
        text("UPDATE users SET display_name = :v WHERE id = :id"), {"v": spoofed, "id": author.id}
    )
    db.execute(
        text("UPDATE posts SET title = :v, body_html = :h WHERE id = :id"),
        {"v": spoofed, "h": f"<p>{spoofed}</p>", "id": post.id},
    )
    db.commit()
    for path in ("/feed/", f"/feed/posts/{post.id}", "/profile"):
        page = browser.client.get(path).get_data(as_text=True)
        assert controls_in(page) == [], path
        assert "RTL override" in page, path
    staff = make_user("teacher@example.org", PASSWORD, "Teach", role=Role.INSTRUCTOR)
    staff_browser = log_in_as(make_browser, app, staff)
    db.execute(text("UPDATE users SET role = 'student' WHERE id = :id"), {"id": author.id})
    db.commit()
    for path in ("/admin/progress", "/admin/progress.csv", "/admin/exports/grades.csv"):
        page = staff_browser.client.get(path).get_data(as_text=True)
        assert controls_in(page) == [] and "RTL override" in page, path


def test_a_students_code_is_stored_as_written(db, student):
    code = 'console.log("\u202eabc")\n'
    db.add(
        Submission(
            tenant_id=student.tenant_id,
            user_id=student.id,
            course_id="node-workers",
            lab_id="thread-lab",
            code=code,
            entrypoint="main.js",
        )
    )
    db.commit()
    db.expire_all()
    assert db.scalars(select(Submission.code)).one() == code
