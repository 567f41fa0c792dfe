"""The gradebook: a course's students by steps and labs, filtered, sorted, exported.

It replaces the list of names at /admin/progress. A large school (500 students, the
course's 8 steps and 3 labs: 11 graded items) renders it in at most 10 SQL statements, the
same number as a school of 60 (counted on the engine; the time ratio is bench/gradebook.py).
The whole table is sorted and 50 students are shown a page; the CSV holds them all.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import event

from portal.models import Role, StepCompletion, utc_now
from tests.web.admin_support import add_submission
from tests.web.conftest import PASSWORD, log_in_as
from tests.web.gradebook_support import fill_school

PAGE = "/admin/progress"
SQL_BOUND = 10


@pytest.fixture
def teacher(app, make_user, make_browser):
    user = make_user("teacher@example.org", PASSWORD, "Teacher", role=Role.INSTRUCTOR)
    return log_in_as(make_browser, app, user)


@pytest.fixture
def class_of_three(app, db, make_user):
    """Ada passed thread-lab (2 attempts) and did 2 steps; Bob failed once; Cy did nothing."""
    ada = make_user("ada@example.org", PASSWORD, "Ada")
    bob = make_user("bob@example.org", PASSWORD, "Bob")
    cy = make_user("cy@example.org", PASSWORD, "Cy")
    add_submission(db, ada, verdict="failed", score=0.5)
    add_submission(db, ada, verdict="passed", score=0.9)
    add_submission(db, bob, verdict="failed", score=0.75)
    add_submission(db, bob, verdict=None)  # queued: not an attempt that counted
    course = node_course(app)
    for step in course.steps[:2]:
        db.add(
            StepCompletion(
                tenant_id=ada.tenant_id, user_id=ada.id, course_id=course.id, step_id=step.id
            )
        )
    db.commit()
    return ada, bob, cy


def node_course(app):
    return app.extensions["catalogue"].courses["node-workers"]


def _rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.split("<tr>")[1:]


def test_students_by_steps_and_labs_with_completion_best_score_and_attempts(
    app, teacher, class_of_three, other_school
):
    ada, bob, cy = class_of_three
    with app.app_context():
        page = teacher.client.get(PAGE).get_data(as_text=True)
    assert "<h1>Gradebook</h1>" in page
    rows = _rows(page)
    assert [row.split("</a>")[0].rsplit(">", 1)[1] for row in rows] == ["Ada", "Bob", "Cy"]
    ada_row, bob_row, cy_row = rows
    assert f'href="/admin/progress/{ada.id}"' in ada_row
    assert "2/8" in ada_row and "90% passed" in ada_row
    assert "<td>2</td>" in ada_row  # two attempts at thread-lab
    assert "75%" in bob_row and "passed" not in bob_row and "<td>1</td>" in bob_row
    assert "0/8" in cy_row
    # Another school's student is not in this school's gradebook.
    assert other_school[1].email not in page


def test_filters_course_name_and_date_range(app, teacher, db, class_of_three):
    ada, bob, _ = class_of_three
    python_page = teacher.client.get(f"{PAGE}?course=python-concurrency").get_data(as_text=True)
    assert "Beat the GIL" in python_page or "beat-the-gil" in python_page
    assert "90%" not in python_page  # Ada's thread-lab is not a Python lab
    only_bob = teacher.client.get(f"{PAGE}?q=bob").get_data(as_text=True)
    assert [len(_rows(only_bob))] == [1] and "bob@example.org" in only_bob
    # Everything happened today: a range that ends yesterday counts none of it.
    yesterday = (utc_now() - timedelta(days=1)).date().isoformat()
    old = teacher.client.get(f"{PAGE}?to={yesterday}").get_data(as_text=True)
    assert "90%" not in old and "2/8" not in old and len(_rows(old)) == 3
    today = utc_now().date().isoformat()
    now = teacher.client.get(f"{PAGE}?from={today}&to={today}").get_data(as_text=True)
    assert "90% passed" in now and "2/8" in now
    # A malformed date is ignored rather than refused.
    assert teacher.client.get(f"{PAGE}?from=yesterday").status_code == 200


def test_sorting_by_a_lab_and_by_steps_both_ways(teacher, class_of_three):
    def names(query: str) -> list[str]:
        page = teacher.client.get(f"{PAGE}?{query}").get_data(as_text=True)
        return [row.split("</a>")[0].rsplit(">", 1)[1] for row in _rows(page)]

    assert names("sort=lab:thread-lab&dir=desc") == ["Ada", "Bob", "Cy"]
    assert names("sort=lab:thread-lab&dir=asc") == ["Cy", "Bob", "Ada"]
    assert names("sort=steps&dir=desc") == ["Ada", "Bob", "Cy"]  # Bob and Cy: by name
    assert names("sort=name&dir=desc") == ["Cy", "Bob", "Ada"]
    page = teacher.client.get(f"{PAGE}?sort=steps&dir=desc").get_data(as_text=True)
    assert 'aria-sort="descending"' in page
    assert names("sort=nonsense") == ["Ada", "Bob", "Cy"]


def test_the_csv_is_the_same_table_under_the_same_filters_and_cannot_run_formulas(
    teacher, db, make_user, class_of_three
):
    make_user("eve@example.org", PASSWORD, '=HYPERLINK("http://evil.example")')
    response = teacher.client.get(f"{PAGE}.csv?sort=lab:thread-lab&dir=desc")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header, rows = table[0], table[1:]
    assert header[:3] == ["name", "email", "steps_completed"]
    assert "thread-lab:best_score" in header and "thread-lab:attempts" in header
    assert [row[0] for row in rows[:2]] == ["Ada", "Bob"]
    ada = dict(zip(header, rows[0], strict=True))
    assert ada["steps_completed"] == "2 of 8"
    assert (ada["thread-lab:best_score"], ada["thread-lab:passed"]) == ("0.9", "yes")
    assert ada["thread-lab:attempts"] == "2"
    assert '\'=HYPERLINK("http://evil.example")' in [row[0] for row in rows]
    filtered = teacher.client.get(f"{PAGE}.csv?q=bob").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(filtered)))) == 2


def test_students_may_not_open_it(browsers):
    assert browsers["student"].client.get(PAGE).status_code == 403
    assert browsers["student"].client.get(f"{PAGE}.csv").status_code == 403


def _statements(app, client, path: str) -> int:
    engine = app.extensions["db_engine"]
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(seen)


def test_a_school_of_500_renders_in_at_most_10_statements_as_one_of_60_does(
    app, db, make_user, make_browser, default_school
):
    admin = make_user("head@example.org", PASSWORD, "Head", role=Role.SCHOOL_ADMIN)
    browser = log_in_as(make_browser, app, admin)
    course = node_course(app)
    assert len(course.steps) + len(course.labs) == 11
    fill_school(db, default_school, course, 60, admin.password_hash)
    small = _statements(app, browser.client, PAGE)
    fill_school(db, default_school, course, 440, admin.password_hash, first=60)
    page = browser.client.get(PAGE).get_data(as_text=True)
    assert len(_rows(page)) == 50 and "Page 1 of 10 (500 in all)" in page
    last = browser.client.get(f"{PAGE}?page=10").get_data(as_text=True)
    assert "Student 0499" in last and "Student 0499" not in page
    large = _statements(app, browser.client, PAGE)
    assert large <= SQL_BOUND, large
    assert large == small
