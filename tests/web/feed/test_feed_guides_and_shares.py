"""Each course's guide pinned first in every new school; students share their achievements."""

from __future__ import annotations

from sqlalchemy import select

from portal.catalogue.catalogue import get_catalogue
from portal.feed.guides import pin_course_guides
from portal.models import AchievementAward, Post, Role, School
from tests.web.conftest import PASSWORD
from tests.web.feed.feed_support import add_post, member
from tests.web.two_schools import browser_at

NODE_GUIDE = "Unblocking the Loop: a guide to concurrency in Node.js"
PYTHON_GUIDE = "Waiting or Computing? A guide to concurrency in CPython"
GUIDE_TITLES = {NODE_GUIDE, PYTHON_GUIDE}  # one per course


def _guides(db, school: School) -> list[Post]:
    return db.scalars(select(Post).where(Post.tenant_id == school.id, Post.kind == "guide")).all()


def _first_post_seen_at(app, db, make_user, school: School) -> str:
    make_user("reader@new.example.org", PASSWORD, "Reader", school=school)
    browser = browser_at(app, f"{school.slug}.localhost")
    assert browser.log_in("reader@new.example.org", PASSWORD).status_code == 302
    return browser.client.get("/feed/").get_data(as_text=True)


def test_school_create_pins_the_guides_first_in_the_new_school(app, db, make_user):
    result = app.test_cli_runner().invoke(args=["school", "create", "school-n", "--name", "N"])
    assert result.exit_code == 0, result.output
    school = db.scalars(select(School).where(School.slug == "school-n")).one()
    guides = _guides(db, school)
    assert {guide.title for guide in guides} == GUIDE_TITLES and len(guides) == 2
    for guide in guides:
        assert (guide.pinned, guide.author_id) == (True, None)
        assert guide.body_html and guide.body_markdown
    add_post(db, None, "A later post", "hi", tenant_id=school.id)
    page = _first_post_seen_at(app, db, make_user, school)
    assert page.index(NODE_GUIDE) < page.index("A later post")
    assert page.index(PYTHON_GUIDE) < page.index("A later post")
    assert "Course team" in page


def test_the_platform_admins_new_school_page_pins_the_guides(app, db, make_user, make_browser):
    member(make_user, make_browser, app, "Ops", Role.PLATFORM_ADMIN)
    browser = make_browser(app)
    assert browser.log_in("ops@example.org", PASSWORD).status_code == 302
    response = browser.post_form("/platform/schools/new", {"slug": "school-p", "name": "P"})
    assert response.status_code == 302
    school = db.scalars(select(School).where(School.slug == "school-p")).one()
    assert sorted(g.title for g in _guides(db, school)) == sorted(GUIDE_TITLES)
    page = _first_post_seen_at(app, db, make_user, school)
    assert NODE_GUIDE in page and PYTHON_GUIDE in page


def test_pinning_guides_is_idempotent_and_the_command_fills_older_schools(app, db, default_school):
    result = app.test_cli_runner().invoke(args=["feed", "pin-guides", "--school", "default"])
    assert result.exit_code == 0
    assert NODE_GUIDE in result.output and PYTHON_GUIDE in result.output
    again = app.test_cli_runner().invoke(args=["feed", "pin-guides"])
    assert again.exit_code == 0 and "default: nothing new" in again.output
    with app.app_context():
        assert pin_course_guides(db, default_school, get_catalogue()) == []
    assert len(_guides(db, default_school)) == 2
    unknown = app.test_cli_runner().invoke(args=["feed", "pin-guides", "--school", "nope"])
    assert unknown.exit_code != 0 and "no school has the slug" in unknown.output


def test_seed_demo_pins_each_guide_in_the_default_school_once(app, db, default_school):
    for _ in range(2):
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    assert sorted(g.title for g in _guides(db, default_school)) == sorted(GUIDE_TITLES)


def _award(db, user, achievement_id: str = "thread-master") -> None:
    db.add(
        AchievementAward(tenant_id=user.tenant_id, user_id=user.id, achievement_id=achievement_id)
    )
    db.commit()


def test_a_student_shares_an_unlocked_achievement_once(app, db, make_user, make_browser):
    user, browser = member(make_user, make_browser, app, "Ada")
    _award(db, user)
    with app.app_context():
        achievement = get_catalogue().achievement("thread-master")
    profile = browser.client.get("/profile").get_data(as_text=True)
    assert "Share on the Holo-Net" in profile
    assert f'name="achievement" value="{achievement.id}"' in profile
    form = browser.client.get("/feed/share?achievement=thread-master")
    assert form.status_code == 200 and achievement.title in form.get_data(as_text=True)
    data = {"achievement": "thread-master", "note": "So *proud*"}
    response = browser.post_form(
        "/feed/share", data, form_page="/feed/share?achievement=thread-master"
    )
    assert response.status_code == 302
    post = db.scalars(select(Post)).one()
    assert (post.kind, post.achievement_id, post.author_id) == (
        "achievement",
        "thread-master",
        user.id,
    )
    assert achievement.title in post.title and "<em>proud</em>" in post.body_html
    feed = browser.client.get("/feed/").get_data(as_text=True)
    assert achievement.title in feed and "So <em>proud</em>" in feed
    twice = browser.post_form(
        "/feed/share", data, form_page="/feed/share?achievement=thread-master"
    )
    assert twice.status_code == 422
    assert "You already shared" in twice.get_data(as_text=True)
    assert len(db.scalars(select(Post)).all()) == 1


def test_sharing_an_achievement_one_does_not_hold_is_refused(app, db, make_user, make_browser):
    _, browser = member(make_user, make_browser, app, "Ada")
    for achievement in ("thread-master", "no-such-thing"):
        response = browser.post_form(
            "/feed/share", {"achievement": achievement, "note": ""}, form_page="/auth/login"
        )
        assert response.status_code == 404
    assert browser.client.get("/feed/share?achievement=nope").status_code == 404
    assert db.scalars(select(Post)).all() == []
