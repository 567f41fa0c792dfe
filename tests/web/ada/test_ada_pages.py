"""The A.D.A. page: the premium gate, the question form, the limit, the history and the count."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import AdaConsultation, Role, School, utc_now
from tests.web.ada.ada_support import ASK_PATH, add_submission, ask
from tests.web.conftest import PASSWORD, log_in_as
from tests.web.xss_corpus import PAYLOADS, dangerous_markup


def _consultations(db) -> list[AdaConsultation]:
    db.expire_all()
    return list(db.scalars(select(AdaConsultation).order_by(AdaConsultation.id)))


def test_a_student_without_premium_gets_the_upsell(db, student_browser):
    page = student_browser.client.get(ASK_PATH)
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/premium")

    token = student_browser.csrf_token("/auth/login")
    refused = student_browser.client.post(
        ASK_PATH, data={"question": "What is the event loop?", "csrf_token": token}
    )
    assert refused.status_code == 403
    assert "premium" in refused.get_data(as_text=True).lower()
    assert _consultations(db) == []


def test_a_guest_is_sent_to_log_in(browser):
    page = browser.client.get(ASK_PATH)
    assert page.status_code == 302 and page.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.SCHOOL_ADMIN])
def test_premium_students_and_staff_get_the_page(
    app, make_browser, make_user, premium_browser, role
):
    staff = make_user(f"{role.value}@example.org", PASSWORD, "Staff", role=role)
    for browser in (premium_browser, log_in_as(make_browser, app, staff)):
        page = browser.client.get(ASK_PATH)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "<h1>Consult A.D.A." in html
        assert "Your question and your latest submission stay on this platform." in html
        assert 'for="question"' in html


def test_the_course_and_step_pages_link_to_it(student_browser):
    for path in ("/courses/node-workers", "/courses/node-workers/steps/worker-threads"):
        html = student_browser.client.get(path).get_data(as_text=True)
        link = '<a href="/courses/node-workers/ada">Consult A.D.A.</a>'
        assert f'{link} <span class="badge premium">Premium</span>' in html


def test_asking_stores_the_consultation_and_shows_it_newest_first(
    db, premium_browser, premium_student
):
    submission = add_submission(db, premium_student)
    first = ask(premium_browser, "Why did my worker not speed things up?")
    assert first.status_code == 302
    assert re.match(r"/courses/node-workers/ada#consultation-\d+$", first.headers["Location"])
    ask(premium_browser, "What does exec buffer?")

    stored = _consultations(db)
    assert [c.question for c in stored] == [
        "Why did my worker not speed things up?",
        "What does exec buffer?",
    ]
    slow = stored[0]
    assert (slow.user_id, slow.course_id, slow.engine, slow.note) == (
        premium_student.id,
        "node-workers",
        "offline",
        "",
    )
    assert slow.submission_id == submission.id
    assert slow.citations[0]["step_id"] == "worker-threads"
    assert "0.97x" in slow.answer

    html = premium_browser.client.get(ASK_PATH).get_data(as_text=True)
    assert html.index("What does exec buffer?") < html.index("Why did my worker not speed")
    assert 'href="/courses/node-workers/steps/worker-threads">Step 3: Worker threads</a>' in html
    assert "from the course material" in html


@pytest.mark.parametrize("question", ["", "  ", "ab", "x" * 1001])
def test_a_question_of_the_wrong_length_is_refused_and_kept(db, premium_browser, question):
    response = ask(premium_browser, question)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Ask your question in 3 to 1000 characters." in html
    if question.strip():
        assert question in html
    assert _consultations(db) == []


def test_the_hourly_limit_answers_429_and_keeps_the_question(
    app, db, premium_browser, premium_student
):
    app.config["ADA_QUESTIONS_PER_HOUR"] = 2
    old = AdaConsultation(
        tenant_id=premium_student.tenant_id,
        user_id=premium_student.id,
        course_id="node-workers",
        question="An old one",
        answer="-",
        engine="offline",
        created_at=utc_now() - timedelta(hours=2),
    )
    db.add(old)
    db.commit()
    assert ask(premium_browser, "What is a worker?").status_code == 302
    assert ask(premium_browser, "What is a child process?").status_code == 302

    refused = ask(premium_browser, "And what is IPC?")

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3600"
    html = refused.get_data(as_text=True)
    assert "You asked A.D.A. 2 questions in the last hour" in html
    assert "And what is IPC?" in html
    assert len(_consultations(db)) == 3


def test_the_dashboard_counts_the_school_questions(
    app, db, make_user, premium_browser, premium_student, admin_browser
):
    ask(premium_browser, "What is a worker?")
    ask(premium_browser, "What is the event loop?")
    last_year = AdaConsultation(
        tenant_id=premium_student.tenant_id,
        user_id=premium_student.id,
        course_id="node-workers",
        question="Old",
        answer="-",
        engine="offline",
        created_at=utc_now() - timedelta(days=400),
    )
    other = School(slug="school-b", name="School B")
    db.add_all([last_year, other])
    db.commit()
    stranger = make_user("b@school-b.example.org", PASSWORD, "B", school=other)
    db.add(
        AdaConsultation(
            tenant_id=other.id,
            user_id=stranger.id,
            course_id="node-workers",
            question="B?",
            answer="-",
            engine="offline",
        )
    )
    db.commit()

    html = admin_browser.client.get("/admin/").get_data(as_text=True)

    assert re.search(
        r'<span class="figure">2</span> questions to A\.D\.A\. this month \(3 in all\)', html
    )


def test_another_school_consultations_are_never_shown(
    db, make_user, premium_browser, premium_student
):
    other = School(slug="school-b", name="School B")
    db.add(other)
    db.commit()
    stranger = make_user("b@school-b.example.org", PASSWORD, "B", school=other)
    db.add(
        AdaConsultation(
            tenant_id=other.id,
            user_id=stranger.id,
            course_id="node-workers",
            question="SCHOOL-B question",
            answer="SCHOOL-B answer",
            engine="offline",
        )
    )
    db.commit()
    ask(premium_browser, "What is a worker?")

    html = premium_browser.client.get(ASK_PATH).get_data(as_text=True)

    assert "What is a worker?" in html
    assert "SCHOOL-B" not in html


def test_another_student_consultations_are_not_shown(
    app, db, make_user, make_browser, premium_browser
):
    ask(premium_browser, "My private question about workers?")
    staff = make_user("teacher@example.org", PASSWORD, "Teacher", role=Role.INSTRUCTOR)
    html = log_in_as(make_browser, app, staff).client.get(ASK_PATH).get_data(as_text=True)
    assert "My private question" not in html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_payload_as_a_question_renders_inert(db, premium_browser, payload):
    question = f"Why? {payload}"
    response = ask(premium_browser, question)
    assert response.status_code == 302, response.get_data(as_text=True)

    html = premium_browser.client.get(ASK_PATH).get_data(as_text=True)

    assert dangerous_markup(html) == []
    assert _consultations(db)[0].question == question.strip()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_payload_in_a_refused_question_renders_inert(premium_browser, payload):
    response = ask(premium_browser, payload + " " + "x" * 1000)

    assert response.status_code == 422
    assert dangerous_markup(response.get_data(as_text=True)) == []


@pytest.mark.parametrize(
    "question",
    ["?" * 1000, "???", "  ?!.  ,,, ;;; ", "Why? What? How?", "... and so on, if ...", "¿¡«»!"],
)
def test_a_question_with_nothing_to_look_up_is_not_answered_in_full(
    db, premium_browser, premium_student, question
):
    add_submission(db, premium_student)

    response = ask(premium_browser, question)

    assert response.status_code == 302
    [stored] = _consultations(db)
    assert stored.answer.startswith("I did not understand the question")
    assert "“Why did my workers not speed things up?”" in stored.answer
    assert (stored.citations, stored.submission_id) == ([], None)
    assert "Unblock the Loop" not in stored.answer and "Sources" not in stored.answer
    html = premium_browser.client.get(ASK_PATH).get_data(as_text=True)
    assert "I did not understand the question" in html


def test_an_answer_renders_its_markdown_as_html(db, premium_browser, premium_student):
    add_submission(db, premium_student)

    ask(premium_browser, "Why did my workers not speed things up?")
    html = premium_browser.client.get(ASK_PATH).get_data(as_text=True)
    answer = html[html.index('<div class="ada-answer">') :]
    answer = answer[: answer.index("</div>")]

    assert "<code>Promise.all</code>" in answer
    assert (
        "<strong>Your workers ran one after another instead of at the same time.</strong>" in answer
    )
    assert "<blockquote>" in answer
    assert "`" not in answer and "**" not in answer


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_payload_in_a_grader_message_renders_inert(
    db, premium_browser, premium_student, payload
):
    checks = [
        {"name": "correct_result", "passed": False, "message": f"solve() failed: {payload}"},
        {"name": "speeds_up", "passed": False, "message": f"`{payload}` **{payload}**"},
    ]
    add_submission(db, premium_student, checks=checks, measurements={"problem": "threw"})

    assert ask(premium_browser, "Why did my submission fail?").status_code == 302
    html = premium_browser.client.get(ASK_PATH).get_data(as_text=True)

    assert "solve() failed:" in html
    assert dangerous_markup(html) == []
