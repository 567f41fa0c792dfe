"""Quick questions through the pages: checked on the server, with CSRF, hints on wrong
answers, EXP once, achievements and their toasts; guests may answer the public ones."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.models import AchievementAward, ExpEntry, QuestionProgress

STEP = "/courses/node-workers/steps"
HTMX = {"HX-Request": "true"}


def answer(browser, question: str, data: dict, step: str, htmx: bool = True):
    return browser.post_form(
        f"/courses/node-workers/questions/{question}/answer",
        data,
        form_page=f"{STEP}/{step}",
        headers=HTMX if htmx else {},
    )


def test_an_answer_without_the_csrf_token_is_refused(student_browser, db):
    response = student_browser.client.post(
        "/courses/node-workers/questions/blocked-loop-requests/answer",
        data={"choice": "wait-for-loop"},
    )
    assert response.status_code == 400
    assert db.scalars(select(QuestionProgress)).all() == []


def test_a_wrong_answer_gets_a_hint_and_a_right_one_exp_once(student_browser, student, db):
    wrong = answer(student_browser, "blocked-loop-requests", {"choice": "dropped"}, "system-check")
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 200
    assert "Not quite" in text and "Hint:" in text and "operating system" in text
    assert "They wait, unanswered" not in text  # the right option is never quoted

    right = answer(
        student_browser, "blocked-loop-requests", {"choice": "wait-for-loop"}, "system-check"
    )
    text = right.get_data(as_text=True)
    assert "Correct" in text and "+50 EXP" in text
    assert '<span id="exp-value" hx-swap-oob="true">50</span>' in text

    again = answer(
        student_browser, "blocked-loop-requests", {"choice": "wait-for-loop"}, "system-check"
    )
    assert "+50 EXP" not in again.get_data(as_text=True)
    ledger = db.scalars(select(ExpEntry)).all()
    assert [(e.amount, e.source_key) for e in ledger] == [
        (50, "question:node-workers:blocked-loop-requests")
    ]
    progress = db.scalars(select(QuestionProgress)).one()
    assert (progress.attempts, progress.first_try, progress.tenant_id) == (
        2,
        False,
        student.tenant_id,
    )


def test_the_client_cannot_claim_a_right_answer(student_browser, db):
    forged = {"choice": "wait-for-loop", "correct": "true", "exp": "9999"}
    response = answer(student_browser, "worker-lifecycle", forged, "lifecycle-sorting")
    assert response.status_code == 422
    assert "Submit every stage exactly once" in response.get_data(as_text=True)
    assert db.scalars(select(ExpEntry)).all() == []


def test_ordering_right_first_time_unlocks_achievements_with_a_toast(student_browser, db):
    response = answer(
        student_browser,
        "worker-lifecycle",
        {"order": ["create", "run", "reply"]},
        "lifecycle-sorting",
    )
    text = response.get_data(as_text=True)
    assert "Correct" in text
    assert '<div id="toasts" hx-swap-oob="beforeend">' in text
    assert "Process Architect" in text and "Sharp Mind" in text
    awards = {a.achievement_id for a in db.scalars(select(AchievementAward))}
    assert awards == {"process-architect", "sharp-mind"}


def test_blanks_accept_variants_and_name_the_wrong_blank(student_browser, db):
    wrong = answer(
        student_browser,
        "spawn-stream-syntax",
        {"blank-start": "exec", "blank-listen": " on "},
        "syntax-mastery",
    )
    text = wrong.get_data(as_text=True)
    assert "The function that starts the command" in text  # the wrong blank's label
    assert "The method that registers" not in text  # the right one is not flagged
    right = answer(
        student_browser,
        "spawn-stream-syntax",
        {"blank-start": " child_process.spawn", "blank-listen": "addListener"},
        "syntax-mastery",
    )
    assert "Concurrency Wizard" in right.get_data(as_text=True)


def test_without_javascript_the_step_page_shows_the_feedback(student_browser):
    response = answer(
        student_browser,
        "blocked-loop-requests",
        {"choice": "served-in-parallel"},
        "system-check",
        htmx=False,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Step 2 of 8" in page
    feedback = re.search(r'id="feedback-blocked-loop-requests".*?</section>', page, re.S)
    assert "Hint:" in feedback.group(0)


def test_a_guest_answers_the_system_check_but_nothing_is_stored(browser, db):
    response = answer(browser, "blocked-loop-requests", {"choice": "wait-for-loop"}, "system-check")
    text = response.get_data(as_text=True)
    assert "Correct" in text and "Log in to keep your progress" in text
    assert db.scalars(select(QuestionProgress)).all() == []


def test_a_guest_cannot_answer_a_members_question(browser):
    response = answer(
        browser, "worker-lifecycle", {"order": ["create", "run", "reply"]}, "system-check"
    )
    assert response.status_code == 401
    assert "Log in to access advanced coding simulations" in response.get_data(as_text=True)


SOLVED_BADGE = (
    '<span id="q-blocked-loop-requests-badge" class="badge ok" hx-swap-oob="true">✓ Solved</span>'
)


def test_solving_in_place_swaps_the_questions_exp_badge_for_solved(student_browser):
    page = student_browser.client.get(f"{STEP}/system-check").get_data(as_text=True)
    assert '<span id="q-blocked-loop-requests-badge" class="badge">+50 EXP</span>' in page
    wrong = answer(student_browser, "blocked-loop-requests", {"choice": "dropped"}, "system-check")
    assert "q-blocked-loop-requests-badge" not in wrong.get_data(as_text=True)
    right = answer(
        student_browser, "blocked-loop-requests", {"choice": "wait-for-loop"}, "system-check"
    )
    assert SOLVED_BADGE in right.get_data(as_text=True)


def test_a_guests_right_answer_keeps_the_exp_badge_it_did_not_earn(browser):
    right = answer(browser, "blocked-loop-requests", {"choice": "wait-for-loop"}, "system-check")
    assert "Correct" in right.get_data(as_text=True)
    assert "q-blocked-loop-requests-badge" not in right.get_data(as_text=True)
