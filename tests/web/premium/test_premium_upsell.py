"""The upsell page: what premium unlocks, how to get it at this school, a code form."""

from __future__ import annotations

from portal.models import Role
from portal.premium.entitlements import grant_to_user
from portal.premium.upsell import DEFAULT_HOW_TO
from tests.web.conftest import PASSWORD


def test_the_page_lists_the_premium_labs_of_the_course(pupil_browser):
    page = pupil_browser.client.get("/premium?course=node-workers")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Premium: Advanced Node.js" in html
    assert "Lab: Unblock the Loop" in html and "Lab: Spawn vs Exec" in html
    assert "Thread Lab" not in html
    assert "Redeem a code" in html and 'name="code"' in html


def test_without_school_text_a_default_sentence_and_the_admins_are_shown(pupil_browser, make_user):
    make_user("head@example.org", PASSWORD, "Grace Head", role=Role.SCHOOL_ADMIN)
    make_user("teach@example.org", PASSWORD, "Ivan Teacher", role=Role.INSTRUCTOR)

    html = pupil_browser.client.get("/premium").get_data(as_text=True)

    assert DEFAULT_HOW_TO.replace("'", "&#39;") in html
    assert "Your school's admins: Grace Head." in html
    assert "Ivan Teacher" not in html


def test_the_schools_text_is_shown_escaped_with_its_line_breaks(pupil_browser, db, default_school):
    default_school.premium_info = "Ask <b>Mrs Smith</b> in room 12.\nOr mail <script>x</script>"
    db.commit()

    html = pupil_browser.client.get("/premium").get_data(as_text=True)

    assert (
        '<p class="premium-info">Ask &lt;b&gt;Mrs Smith&lt;/b&gt; in room 12.\n'
        "Or mail &lt;script&gt;x&lt;/script&gt;</p>"
    ) in html
    assert "<b>Mrs Smith</b>" not in html
    assert DEFAULT_HOW_TO.replace("'", "&#39;") not in html


def test_next_is_kept_when_safe_and_dropped_when_not(pupil_browser):
    safe = pupil_browser.client.get("/premium?next=/courses/node-workers").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/courses/node-workers"' in safe
    unsafe = pupil_browser.client.get("/premium?next=https://evil.example.org/").get_data(
        as_text=True
    )
    assert "evil.example.org" not in unsafe


def test_an_unknown_course_shows_every_courses_premium(pupil_browser):
    page = pupil_browser.client.get("/premium?course=nope")
    assert page.status_code == 200
    assert "Unblock the Loop" in page.get_data(as_text=True)


def test_a_student_with_premium_is_told_so(pupil_browser, pupil, db, default_school):
    grant_to_user(db, default_school, None, pupil.email, None, "test")
    html = pupil_browser.client.get(
        "/premium?course=node-workers&next=/courses/node-workers/labs/unblock-the-loop"
    ).get_data(as_text=True)
    assert "You have premium in this course" in html
    assert 'href="/courses/node-workers/labs/unblock-the-loop"' in html
