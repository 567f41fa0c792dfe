"""The offline engine's answers: the submission's diagnoses, whole quotes, the cited steps.

The diagnoses themselves, case by case, are in test_ada_diagnoses.py.
"""

from __future__ import annotations

import dataclasses

import pytest

from portal.ada.context import gather_context
from portal.ada.facts import submission_facts
from portal.ada.offline import offline_answer
from portal.catalogue.catalogue import get_catalogue
from portal.models import Submission
from tests.grader.diagnosis_cases import CASES, LOOP
from tests.web.ada.ada_support import add_submission
from tests.web.conftest import PASSWORD


@pytest.fixture
def learner(make_user):
    return make_user("learner@example.org", PASSWORD, "Learner")


@pytest.fixture
def answer_to(app, db, learner):
    """Ask the offline engine as `learner`, as a request would."""

    def answer(question: str):
        with app.test_request_context():
            course = get_catalogue().course("node-workers")
            return offline_answer(gather_context(db, learner, course, question))

    return answer


def test_a_slow_split_is_explained_with_its_speedup_and_causes(db, learner, answer_to):
    submission = add_submission(db, learner)

    answer = answer_to("Why did my worker not speed things up?")

    assert answer.engine == "offline"
    assert answer.submission_id == submission.id
    assert "Unblock the Loop" in answer.text
    assert "0.97x as fast" in answer.text and "the ideal on a 2-CPU quota is 2.00x" in answer.text
    # The failed checks are named by their titles, not repeated: the diagnosis says what
    # they mean.
    assert (
        "The checks “The work is split over several workers” and “More workers make it "
        "faster” did not pass." in answer.text
    )
    assert "splits_over_workers" not in answer.text and "speeds_up" not in answer.text
    assert "2 workers finished 0.97x as fast" not in answer.text
    assert "**Your workers ran one after another instead of at the same time.**" in answer.text
    assert "At most 1 of your 2 workers ran at once." in answer.text
    assert "`Promise.all`." in answer.text
    # The step to read, quoted in whole sentences: the mission is not cut mid-sentence.
    assert 'Step 3, "Worker threads" (Unblock the Loop), explains it:' in answer.text
    assert "…" not in answer.text
    assert "split it over `workers` workers running at once (combine the parts" in answer.text
    assert answer.citations[0]["step_id"] == "worker-threads"
    assert answer.citations[0]["url"] == "/courses/node-workers/steps/worker-threads"
    assert 'Sources: step 3, "Worker threads"' in answer.text


def test_without_a_submission_the_answer_quotes_the_course(answer_to):
    answer = answer_to("When should I use spawn instead of exec?")

    assert answer.submission_id is None
    assert "submission" not in answer.text
    assert answer.citations[0]["step_id"] == "child-processes"
    assert 'Step 6, "Child processes"' in answer.text
    assert "Sources:" in answer.text
    assert len(answer.citations) <= 3


def test_a_passed_submission_stays_out_of_an_unrelated_question(db, learner, answer_to):
    add_submission(db, learner, lab_id="thread-lab", verdict="passed", checks=[], measurements={})

    answer = answer_to("What does isMainThread tell me about a thread?")

    assert answer.submission_id is None
    assert "Thread Lab submission" not in answer.text
    assert answer.citations[0]["step_id"] == "worker-threads"


def test_a_failed_submission_is_mentioned_even_when_not_asked_about(db, learner, answer_to):
    add_submission(db, learner)

    answer = answer_to("What is an event loop?")

    assert "Your latest submission to Unblock the Loop failed." in answer.text
    assert "What its numbers point to: Your workers ran one after another" in answer.text
    assert "Ask me “Why did my submission fail?”" in answer.text
    # The question comes first; the numbers wait until the student asks about them.
    assert answer.text.index("event loop") < answer.text.index("Unblock the Loop failed")
    assert "0.97x" not in answer.text


def test_nothing_relevant_says_so_and_points_to_the_guide(answer_to):
    answer = answer_to("How do I bake a cake?")

    assert "I found nothing about that in this course's material" in answer.text
    assert "Unblocking the Loop: a guide to concurrency in Node.js" in answer.text
    assert [c["step_id"] for c in answer.citations] == ["wrap-up"]
    assert answer.citations[0]["url"].endswith("#guide-title")


@pytest.mark.parametrize(
    "analysis",
    [
        None,  # graded by an older grader (GradeResult version 1)
        {"findings": None, "diagnoses": "lots"},
        {"findings": [3, "It ran."], "diagnoses": [{"cause": "c", "summary": 1}, None]},
    ],
)
def test_a_missing_or_malformed_analysis_gives_no_facts_rather_than_a_crash(analysis):
    submission = Submission(
        id=1, lab_id="lab", status="graded", verdict="failed", checks=[], analysis=analysis
    )
    facts = submission_facts(submission, None)  # a lab the course no longer has
    assert facts.verdict_sentence() == "Your latest submission to lab failed."
    assert facts.diagnoses == [] and facts.measured in ([], ["It ran."])


def test_every_diagnosed_answer_is_whole_sentences_with_a_step_to_read(app, db, learner, answer_to):
    for case_id, kind, measurements, code, verdict, checks, expected, _excluded in CASES:
        lab_id = "unblock-the-loop" if kind == LOOP else "spawn-vs-exec"
        checks = [dataclasses.asdict(check) for check in checks]
        submission = add_submission(db, learner, lab_id, verdict, checks, measurements, code)

        answer = answer_to("Why did my submission not pass?")

        assert answer.submission_id == submission.id, case_id
        paragraphs = answer.text.split("\n\n")
        for paragraph in paragraphs:
            assert paragraph[0].isupper() or paragraph.startswith(("**", "> ", "`")), paragraph
            assert paragraph.endswith((".", "?", "!", "explains it:", "says:")), paragraph
            assert "…" not in paragraph
        bold = [p for p in paragraphs if p.startswith("**")]
        assert len(bold) >= len(expected), case_id
        for position, paragraph in enumerate(paragraphs):
            if paragraph.startswith("**") and paragraph != paragraphs[-1]:
                following = paragraphs[position + 1]
                assert following.startswith(("Step ", "**", "Sources: ")), (case_id, following)
        if expected:
            assert "explains it:" in answer.text, case_id


def test_a_failed_check_is_named_by_its_title_from_the_content(db, learner, answer_to):
    """Issue 14: A.D.A. said "The check `imports_worker_threads` did not pass"."""
    checks = [
        {"name": "parses", "passed": True, "message": "Your code parses."},
        {
            "name": "imports_worker_threads",
            "passed": False,
            "message": "Load the module first: `require('worker_threads')`.",
        },
    ]
    add_submission(db, learner, "thread-lab", "failed", checks, {})

    answer = answer_to("Why did my submission fail?")

    assert (
        "The check “Loads the `worker_threads` module” did not pass: Load the module first: "
        "`require('worker_threads')`." in answer.text
    )
    assert "imports_worker_threads" not in answer.text
