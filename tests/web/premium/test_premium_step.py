"""A premium step (none in the seed course: a copy of the content marks one premium)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from portal.models import QuestionProgress, StepCompletion
from portal.premium.entitlements import grant_to_user
from tests.web.conftest import REPO_ROOT
from tests.web.premium.premium_support import count

STEP = "/courses/node-workers/steps/lifecycle-sorting"


@pytest.fixture
def app_config(app_config: dict, tmp_path: Path) -> dict:
    content = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "content", content)
    step_file = content / "courses/node-workers/steps/05-lifecycle-sorting.yaml"
    text = step_file.read_text()
    step_file.write_text(
        text.replace("title: Lifecycle Sorting\n", "title: Lifecycle Sorting\npremium: true\n", 1)
    )
    return {**app_config, "CONTENT_DIR": str(content)}


def test_a_premium_step_shows_its_title_and_an_upsell_card_instead_of_its_blocks(pupil_browser):
    page = pupil_browser.client.get(STEP)

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Lifecycle Sorting" in html
    assert "This step is part of premium" in html
    assert "/premium?course=node-workers" in html
    assert "Put the stages of a worker" not in html  # the question is not shown


def test_the_course_page_marks_the_premium_step(pupil_browser):
    html = pupil_browser.client.get("/courses/node-workers").get_data(as_text=True)
    line = html[html.index("Lifecycle Sorting") :].split("</li>", 1)[0]
    assert "Premium" in line


def test_completing_a_premium_step_without_premium_is_refused(pupil_browser, db):
    response = pupil_browser.post_form(f"{STEP}/complete", {}, form_page=STEP)

    assert response.status_code == 403
    assert count(db, StepCompletion) == 0


def test_answering_a_question_of_a_premium_step_without_premium_is_refused(pupil_browser, db):
    response = pupil_browser.post_form(
        "/courses/node-workers/questions/worker-lifecycle/answer",
        {"order": ["create", "run", "reply"]},
        form_page=STEP,
    )
    assert response.status_code == 403
    assert count(db, QuestionProgress) == 0


def test_with_premium_the_step_shows_its_blocks_and_completes(
    pupil_browser, pupil, db, default_school
):
    grant_to_user(db, default_school, None, pupil.email, None, "test")

    html = pupil_browser.client.get(STEP).get_data(as_text=True)
    assert "Put the stages of a worker" in html
    assert "This step is part of premium" not in html
    response = pupil_browser.post_form(
        "/courses/node-workers/questions/worker-lifecycle/answer",
        {"order": ["create", "run", "reply"]},
        form_page=STEP,
    )
    assert response.status_code == 200
    assert pupil_browser.post_form(f"{STEP}/complete", {}, form_page=STEP).status_code == 302
    assert count(db, StepCompletion) == 1
