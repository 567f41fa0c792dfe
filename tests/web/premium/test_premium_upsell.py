"""The upsell page: what premium unlocks, how to get it at this school, a code form."""

from __future__ import annotations

from portal.models import Role, utc_now
from portal.premium import codes
from portal.premium.entitlements import grant_to_user
from portal.premium.upsell import DEFAULT_HOW_TO
from tests.web.conftest import PASSWORD


def test_every_course_lists_ada_among_what_premium_unlocks(pupil_browser):
    html = pupil_browser.client.get("/premium").get_data(as_text=True)
    for course in ("Advanced Node.js", "Python Concurrency"):
        section = html.split(course, 1)[1].split("</ul>", 1)[0]
        assert "A.D.A.: ask the course's expert" in section, course
    assert 'href="/courses/node-workers/ada"' not in html  # not a link before premium


def test_after_redeeming_the_page_shows_what_the_student_has_and_since_when(
    pupil_browser, db, default_school
):
    (code,) = codes.create_codes(db, default_school, None, count=1, course_id="node-workers")
    redeemed = pupil_browser.post_form(
        "/premium/redeem",
        {"code": code.code, "course": "node-workers"},
        form_page="/premium?course=node-workers",
    )
    assert redeemed.headers["Location"] == "/premium?course=node-workers"
    html = pupil_browser.client.get(redeemed.headers["Location"]).get_data(as_text=True)
    today = utc_now().date().isoformat()
    assert "What you have" in html
    assert f">{today}</time>, with a code you redeemed." in html
    assert 'href="/courses/node-workers/ada"' in html
    assert 'href="/courses/node-workers/labs/unblock-the-loop"' in html
    assert "How to get premium" not in html and "Redeem a code" not in html
    # Another course is still without premium: there, the way to get it is still shown.
    elsewhere = pupil_browser.client.get("/premium").get_data(as_text=True)
    assert "How to get premium" in elsewhere and "Redeem a code" in elsewhere


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
