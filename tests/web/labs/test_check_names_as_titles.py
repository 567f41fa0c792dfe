"""A grader's sentences name checks by identifier; the student reads the content's titles.

The grader words its headline and messages with check names (`exports_solve`,
`splits_over_workers`); the portal, which knows the lab's titles from the content, shows each
name as its title wherever it renders those sentences (check messages, A.D.A.'s feedback).
"""

from __future__ import annotations

from pathlib import Path

from portal.ada.facts import submission_facts
from portal.catalogue.loader import load_catalogue
from portal.labs.check_display import feedback_html, shown_checks
from portal.models import Submission
from portal.models.submission import SubmissionStatus

CONTENT = Path(__file__).resolve().parents[3] / "content"


def _lab():
    catalogue = load_catalogue(CONTENT)
    lab = catalogue.course("node-workers").lab("unblock-the-loop")
    assert lab is not None
    return lab


def test_a_skipped_checks_message_names_the_check_it_waits_for_by_title():
    [check] = shown_checks(
        [
            {
                "name": "correct_result",
                "passed": False,
                "message": "Not measured: fix `exports_solve` first.",
            }
        ],
        _lab(),
    )
    html = str(check["message_html"])
    assert "exports_solve" not in html
    assert html == "Not measured: fix “Exports <code>solve()</code>” first."


def test_the_pass_headline_names_the_missed_bonus_checks_by_title():
    feedback = (
        "Simulation complete. Passed with 60%: the 6 required checks hold; "
        "2 bonus checks did not: splits_over_workers, speeds_up."
    )
    html = str(feedback_html(feedback, _lab()))
    assert "splits_over_workers" not in html and "speeds_up" not in html
    assert (
        "did not: “The work is split over several workers”, “More workers make it faster”." in html
    )


def test_the_too_noisy_headline_names_checks_by_title_and_leaves_plain_words_alone():
    feedback = (
        "This machine was too busy to measure speeds_up reliably; this attempt does not count. "
        "Your code parses."
    )
    html = str(feedback_html(feedback, _lab()))
    assert "to measure “More workers make it faster” reliably" in html
    assert html.rstrip().endswith(
        "Your code parses.</p>"
    )  # `parses` is a check too, but no identifier here


def test_ada_is_told_the_failed_checks_messages_with_titles_too():
    submission = Submission(
        lab_id="unblock-the-loop",
        status=SubmissionStatus.GRADED,
        verdict="failed",
        checks=[
            {"name": "exports_solve", "passed": False, "message": "No `solve` export."},
            {
                "name": "correct_result",
                "passed": False,
                "message": "Not measured: fix `exports_solve` first.",
            },
        ],
    )
    facts = submission_facts(submission, _lab())
    assert facts.failed_checks[1] == (
        "`solve()` returns the right result",
        "Not measured: fix “Exports `solve()`” first.",
    )
