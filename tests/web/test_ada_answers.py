"""The offline engine's answers: the submission's facts, the likely causes, the cited steps."""

from __future__ import annotations

import pytest

from portal.ada.context import gather_context
from portal.ada.facts import submission_facts
from portal.ada.offline import offline_answer
from portal.courses.catalogue import get_catalogue
from tests.web.ada_support import PASSWORD, SLOW_SPLIT, add_submission


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
    assert "The check speeds_up failed: 2 workers finished 0.97x as fast." in answer.text
    assert "At most 1 of your 2 workers ran at once" in answer.text
    assert "one after another" in answer.text and "Promise.all" in answer.text
    assert "even share" in answer.text
    assert answer.citations[0]["step_id"] == "worker-threads"
    assert answer.citations[0]["url"] == "/courses/node-workers/steps/worker-threads"
    assert 'Sources: step 3 "Worker threads"' in answer.text


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

    assert "Unblock the Loop" in answer.text and "0.97x" in answer.text


def test_nothing_relevant_says_so_and_points_to_the_guide(answer_to):
    answer = answer_to("How do I bake a cake?")

    assert "I found nothing about that in this course's material" in answer.text
    assert "Unblocking the Loop: a guide to concurrency in Node.js" in answer.text
    assert [c["step_id"] for c in answer.citations] == ["wrap-up"]
    assert answer.citations[0]["url"].endswith("#guide-title")


def test_a_main_thread_that_still_stalls_is_diagnosed():
    stalled = {
        **SLOW_SPLIT,
        "variants": {
            "blocking": {"loop_delay_p99_ms": {"median": 600.0}},
            "one_worker": {"loop_delay_p99_ms": {"median": 410.0}, "peak_workers": 1},
            "n_workers": {"loop_delay_p99_ms": {"median": 395.0}, "peak_workers": 2},
        },
        "speedup": {"median": 1.8, "ideal": 2, "efficiency": 0.9},
    }
    facts = submission_facts(_graded(stalled), "Unblock the Loop", "unblock-the-loop")

    assert any("600 ms when the job blocked it, and 410 ms" in line for line in facts.measured)
    assert len(facts.causes) == 1
    assert "still on the main thread" in facts.causes[0]


@pytest.mark.parametrize(
    ("api", "error", "expected"),
    [
        (
            "exec",
            "RangeError: stdout maxBuffer length exceeded",
            "buffer the command's whole output",
        ),
        ("execFile", None, "buffer the command's whole output"),
        ("spawn", None, "the chunks are being kept"),
    ],
)
def test_spawn_vs_exec_facts_name_the_buffering(api, error, expected):
    measurements = {
        "output_bytes": 8 * 1024 * 1024,
        "memory_ratio": 0.9,
        "variants": {
            "exec_reference": {"peak_rss_growth_bytes": 40 * 1024 * 1024},
            "student": {"api": api, "error": error, "peak_rss_growth_bytes": 36 * 1024 * 1024},
        },
    }
    facts = submission_facts(_graded(measurements), "Spawn vs Exec", "spawn-vs-exec")

    assert f"Your code called {api} from child_process." in facts.measured
    assert "grew by 36.0 MiB reading 8.0 MiB of output" in facts.measured[1]
    assert any(expected in cause for cause in facts.causes)


def test_missing_numbers_give_no_facts_rather_than_a_crash():
    facts = submission_facts(_graded({"speedup": None, "variants": None}), "U", "unblock-the-loop")
    assert facts.measured == [] and facts.causes == []


def _graded(measurements):
    from portal.models import Submission

    return Submission(
        id=1, lab_id="lab", status="graded", verdict="failed", checks=[], measurements=measurements
    )
