"""Submissions, a student's progress and the CSV exports, as the staff see them."""

from __future__ import annotations

import csv
import io
import re

import pytest

from portal.admin.exports import neutralise
from portal.models import AchievementAward, ExpEntry, Role, StepCompletion
from tests.web.admin_support import add_submission
from tests.web.conftest import CHART_ANALYSIS, PASSWORD

MEASURED = {
    "workers": 2,
    "variants": {
        "blocking": {"loop_delay_p99_ms": {"median": 1210.0}},
        "n_workers": {"loop_delay_p99_ms": {"median": 9.0}},
    },
    "speedup": {"median": 1.7, "ideal": 2.0},
}


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<a href="/admin/submissions/(\d+)">', page)]


@pytest.fixture
def work(db, people, make_user):
    """Submissions of two students to two labs, oldest first."""
    grace = make_user("grace@example.org", PASSWORD, "Grace", Role.STUDENT)
    ada = people["student"]
    return {
        "ada_fail": add_submission(db, ada, verdict="failed", score=0.25),
        "ada_pass": add_submission(db, ada, verdict="passed"),
        "grace_loop": add_submission(
            db,
            grace,
            lab_id="unblock-the-loop",
            verdict="failed",
            score=0.5,
            measurements=MEASURED,
        ),
        "grace_queued": add_submission(db, grace, verdict=None),
    }


def test_the_list_is_newest_first_and_filters(browsers, work):
    client = browsers["instructor"].client
    everything = _ids(client.get("/admin/submissions").get_data(as_text=True))
    assert everything == [s.id for s in reversed(list(work.values()))]

    by_lab = _ids(client.get("/admin/submissions?lab=unblock-the-loop").get_data(as_text=True))
    assert by_lab == [work["grace_loop"].id]

    failed = _ids(client.get("/admin/submissions?verdict=failed").get_data(as_text=True))
    assert failed == [work["grace_loop"].id, work["ada_fail"].id]

    by_student = client.get("/admin/submissions?student=STUDENT@").get_data(as_text=True)
    assert _ids(by_student) == [work["ada_pass"].id, work["ada_fail"].id]


def test_one_submission_shows_code_output_checks_measurements_and_feedback(browsers, db, people):
    submission = add_submission(
        db,
        people["student"],
        code="console.log('<script>alert(1)</script>')",
        measurements=MEASURED,
        analysis=CHART_ANALYSIS,
        lab_id="unblock-the-loop",
    )
    page = browsers["instructor"].client.get(f"/admin/submissions/{submission.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert" not in body
    assert "hello &lt;worker&gt;" in body
    # Unblock the Loop has no check named sends_message: its name is said in words.
    assert "Sends message" in body and "&lt;b&gt;crossed&lt;/b&gt;" in body
    assert "A.D.A. thinks the loop stayed free." in body
    assert '<th scope="row">speedup.median</th><td>1.7</td>' in body
    chart = browsers["instructor"].client.get(f"/admin/submissions/{submission.id}/chart.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert f"/admin/submissions/{submission.id}/chart.svg" in body


def test_students_cannot_open_the_staff_submission_pages(browsers, db, people):
    own = add_submission(db, people["student"], measurements=MEASURED, analysis=CHART_ANALYSIS)
    assert browsers["student"].client.get(f"/admin/submissions/{own.id}").status_code == 403
    chart = browsers["student"].client.get(f"/admin/submissions/{own.id}/chart.svg")
    assert chart.status_code == 403


def test_another_schools_submission_is_not_found(browsers, db, other_school):
    _, stranger = other_school
    theirs = add_submission(db, stranger, measurements=MEASURED, analysis=CHART_ANALYSIS)
    client = browsers["school_admin"].client
    assert client.get(f"/admin/submissions/{theirs.id}").status_code == 404
    assert client.get(f"/admin/submissions/{theirs.id}/chart.svg").status_code == 404
    assert str(theirs.id) not in _ids(client.get("/admin/submissions").get_data(as_text=True))


def test_a_students_progress_page(browsers, db, people, work):
    ada = people["student"]
    db.add_all(
        [
            StepCompletion(
                tenant_id=ada.tenant_id,
                user_id=ada.id,
                course_id="node-workers",
                step_id="event-loop",
            ),
            ExpEntry(
                tenant_id=ada.tenant_id,
                user_id=ada.id,
                reason="lab",
                amount=120,
                source_key="lab-passed:thread-lab",
            ),
            AchievementAward(
                tenant_id=ada.tenant_id, user_id=ada.id, achievement_id="thread-master"
            ),
        ]
    )
    db.commit()
    page = browsers["instructor"].client.get(f"/admin/progress/{ada.id}").get_data(as_text=True)
    assert "Progress of Student" in page
    assert "<dt>EXP</dt><dd>120</dd>" in page and "Apprentice" in page
    assert re.search(r"1 of \d+ steps completed", page)
    row = re.search(r"lab=thread-lab&amp;student=[^>]*>.*?</tr>", page, re.S)
    assert row and "passed" in row.group(0) and "<td>2</td>" in row.group(0)
    assert "badge-card earned" in page


def _rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_grades_csv(browsers, work, people):
    response = browsers["instructor"].client.get("/admin/exports/grades.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(
        r'attachment; filename="default-grades-\d{4}-\d{2}-\d{2}\.csv"', disposition
    )
    rows = _rows(response)
    ada_thread = next(
        r for r in rows if r["email"] == "student@example.org" and r["lab"] == "thread-lab"
    )
    assert ada_thread["best_verdict"] == "passed" and ada_thread["best_score"] == "1"
    assert ada_thread["attempts"] == "2" and ada_thread["last_submitted"].endswith("UTC")
    grace_loop = next(
        r for r in rows if r["email"] == "grace@example.org" and r["lab"] == "unblock-the-loop"
    )
    assert grace_loop["best_verdict"] == "failed" and grace_loop["best_score"] == "0.5"
    grace_thread = next(
        r for r in rows if r["email"] == "grace@example.org" and r["lab"] == "thread-lab"
    )
    assert grace_thread["attempts"] == "1" and grace_thread["best_verdict"] == ""
    # Only students are listed.
    assert {r["email"] for r in rows} == {"student@example.org", "grace@example.org"}


def test_the_progress_csv_neutralises_formulas(browsers, make_user, db):
    evil = make_user("evil@example.org", PASSWORD, '=HYPERLINK("http://x")', Role.STUDENT)
    db.add(
        StepCompletion(
            tenant_id=evil.tenant_id,
            user_id=evil.id,
            course_id="node-workers",
            step_id="event-loop",
        )
    )
    db.commit()
    response = browsers["school_admin"].client.get("/admin/exports/progress.csv")
    rows = {r["email"]: r for r in _rows(response)}
    assert rows["evil@example.org"]["name"] == '\'=HYPERLINK("http://x")'
    assert re.fullmatch(r"1 of \d+", rows["evil@example.org"]["steps_completed"])
    assert rows["student@example.org"]["exp"] == "0"
    assert rows["student@example.org"]["level"] == "1 Initiate"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1", "'+33 1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ada", "Ada"),
        (3, "3"),
        (None, ""),
    ],
)
def test_neutralise(cell, expected):
    assert neutralise(cell) == expected
