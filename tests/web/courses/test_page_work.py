"""What a page costs per request: the student's progress is one statement, the step page
reads the EXP once (header and course bar share it), and the course's fixed Markdown is
rendered once per process."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from portal.catalogue import markdown
from portal.gamification.service import add_exp

STEP = "/courses/node-workers/steps/thread-lab"


@contextmanager
def statements_of(app):
    """The SQL statements the app's engine runs inside the block."""
    seen: list[str] = []

    def record(_connection, _cursor, statement, *_args) -> None:
        seen.append(statement)

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_step_page_reads_the_exp_once_and_shows_it_twice(app, db, student, student_browser):
    with app.app_context():
        add_exp(db, student, 75, "bench of the test", "test:exp")
        db.commit()
    with statements_of(app) as seen:
        page = student_browser.client.get(STEP).get_data(as_text=True)
    assert '<span id="exp-value">75</span> EXP' in page
    assert "Lv 2" in page or "Lv 1" in page  # the header's level badge is there
    exp_reads = [s for s in seen if "exp_entries" in s]
    assert len(exp_reads) == 1, exp_reads


def test_the_exp_counter_outside_a_course_still_reads_the_ledger(app, db, student, student_browser):
    with app.app_context():
        add_exp(db, student, 30, "bench of the test", "test:exp")
        db.commit()
    page = student_browser.client.get("/feed/").get_data(as_text=True)
    assert '<span id="exp-value">30</span> EXP' in page


def test_course_markdown_is_rendered_once_per_process(student_browser):
    markdown.render_markdown.cache_clear()
    first = student_browser.client.get(STEP).get_data(as_text=True)
    rendered = markdown.render_markdown.cache_info().misses
    assert rendered > 0
    second = student_browser.client.get(STEP).get_data(as_text=True)
    assert markdown.render_markdown.cache_info().misses == rendered
    assert markdown.render_markdown.cache_info().hits >= rendered
    # The page is the same, cached or not (the CSRF token aside).
    assert first.split('name="csrf_token"')[0] == second.split('name="csrf_token"')[0]


def test_cached_markdown_is_the_same_safe_html():
    markdown.render_markdown.cache_clear()
    text = "Run **two** workers <script>alert(1)</script>"
    once, again = markdown.render_markdown(text), markdown.render_markdown(text)
    assert once == again
    assert "<strong>two</strong>" in once and "<script>" not in once
    assert markdown.render_markdown("other") != once


def test_learner_state_reads_everything_in_one_statement(app, db, student):
    from portal.catalogue.catalogue import get_catalogue
    from portal.gamification.service import learner_state
    from portal.models import QuestionProgress, StepCompletion, Submission, utc_now

    mine = {"tenant_id": student.tenant_id, "user_id": student.id, "course_id": "node-workers"}
    with app.app_context():
        for verdict in ("passed", "passed", "failed"):  # passed twice: one lab
            db.add(
                Submission(
                    **mine,
                    lab_id="thread-lab",
                    code="x",
                    entrypoint="main.js",
                    status="graded",
                    verdict=verdict,
                )
            )
        db.add(QuestionProgress(**mine, question_id="q-first", solved_at=utc_now(), first_try=True))
        db.add(QuestionProgress(**mine, question_id="q-later", solved_at=utc_now()))
        db.add(QuestionProgress(**mine, question_id="q-open"))  # tried, not solved
        db.add(StepCompletion(**mine, step_id="event-loop"))
        add_exp(db, student, 40, "one", "test:one")
        add_exp(db, student, 25, "two", "test:two")
        db.commit()
        course = get_catalogue().course("node-workers")
        with statements_of(app) as seen:
            state = learner_state(db, student, course)
    assert len(seen) == 1
    assert state.passed_labs == {"thread-lab"}
    assert state.solved_questions == {"q-first", "q-later"}
    assert state.first_try_questions == {"q-first"}
    assert state.completed_steps == {"event-loop"}
    assert state.exp_total == 65


def test_learner_state_of_a_newcomer_is_empty(app, db, student):
    from portal.catalogue.catalogue import get_catalogue
    from portal.gamification.rules import LearnerState
    from portal.gamification.service import learner_state

    with app.app_context():
        state = learner_state(db, student, get_catalogue().course("node-workers"))
    assert state == LearnerState()
