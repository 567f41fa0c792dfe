"""Two schools holding the same kinds of data: nothing of one is visible from the other.

School A and school B each have a student with a graded submission, question progress,
a completed step, EXP and an achievement. Everything of school B is marked with
`SCHOOL-B`, so a page that leaked any of it would show the marker.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from portal.db import get_db, get_unscoped_db
from portal.models import (
    AchievementAward,
    ExpEntry,
    QuestionProgress,
    School,
    StepCompletion,
    Submission,
    User,
    utc_now,
)
from portal.scoping import CrossTenantWrite
from portal.tenancy import current_school
from tests.web.conftest import Browser

PASSWORD = "a long enough password"
B_MARKER = "SCHOOL-B"
TENANT_OWNED = [User, Submission, QuestionProgress, StepCompletion, ExpEntry, AchievementAward]
MEASURED = {
    "workers": 2,
    "variants": {
        "blocking": {"loop_delay_p99_ms": {"median": 1210.0, "min": 1190.0, "max": 1250.0}},
        "one_worker": {"loop_delay_p99_ms": {"median": 11.5, "min": 10.0, "max": 14.0}},
        "n_workers": {"loop_delay_p99_ms": {"median": 9.0, "min": 8.0, "max": 12.0}},
    },
    "speedup": {"median": 1.7, "min": 1.6, "max": 1.8, "ideal": 2.0, "efficiency": 0.85},
}
# What the sweep puts into each URL parameter: content ids are shared by every school;
# object ids are school B's. A new route with a parameter not named here fails the sweep.
CONTENT_PARAMETERS = {
    "course_id": "node-workers",
    "step_id": "thread-lab",
    "lab_id": "thread-lab",
    "question_id": "q1",
}


@dataclass
class SchoolData:
    school: School
    user: User
    submission: Submission


def _fill_school(db: Session, make_user, slug: str, marker: str) -> SchoolData:
    school = School(slug=slug, name=f"{marker} school")
    db.add(school)
    db.commit()
    user = make_user(f"student@{slug}.example.org", PASSWORD, f"{marker} student", school=school)
    submission = Submission(
        tenant_id=school.id,
        user_id=user.id,
        course_id="node-workers",
        lab_id="thread-lab",
        code=f"console.log('{marker} code')",
        entrypoint="main.js",
        status="graded",
        verdict="passed",
        score=1.0,
        gradable=True,
        feedback=f"{marker} feedback",
        checks=[],
        output={"stdout": f"{marker} output", "truncated": False, "bytes": 10},
        measurements=MEASURED,
        graded_at=utc_now(),
    )
    db.add(submission)
    db.flush()
    db.add_all(
        [
            QuestionProgress(
                tenant_id=school.id,
                user_id=user.id,
                course_id="node-workers",
                question_id="q1",
                attempts=1,
                solved_at=utc_now(),
                first_try=True,
            ),
            StepCompletion(
                tenant_id=school.id, user_id=user.id, course_id="node-workers", step_id="event-loop"
            ),
            ExpEntry(
                tenant_id=school.id,
                user_id=user.id,
                reason=f"{marker} reward",
                amount=50,
                source_key=f"{slug}:lab",
            ),
            AchievementAward(
                tenant_id=school.id,
                user_id=user.id,
                achievement_id="first_lab",
                submission_id=submission.id,
            ),
        ]
    )
    db.commit()
    return SchoolData(school, user, submission)


@pytest.fixture
def school_b(db, make_user) -> SchoolData:
    # School B first, so its ids are not also school A's ids by coincidence.
    return _fill_school(db, make_user, "school-b", B_MARKER)


@pytest.fixture
def school_a(db, make_user, school_b) -> SchoolData:
    return _fill_school(db, make_user, "school-a", "SCHOOL-A")


class ClientAtHost(FlaskClient):
    """A test client whose requests all go to one host name (one school)."""

    host = "localhost"

    def open(self, *args, **kwargs):
        if args and isinstance(args[0], str):
            kwargs.setdefault("base_url", f"http://{self.host}")
        return super().open(*args, **kwargs)


def _browser_at(app: Flask, host: str) -> Browser:
    client = ClientAtHost(app, app.response_class, use_cookies=True)
    client.host = host
    return Browser(client)


@pytest.fixture
def student_a_browser(app, school_a):
    browser = _browser_at(app, "school-a.localhost")
    response = browser.log_in(school_a.user.email, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


# --- the session event -------------------------------------------------------------------


@pytest.mark.parametrize("model", TENANT_OWNED, ids=lambda model: model.__name__)
def test_a_query_without_a_tenant_filter_sees_only_the_current_school(
    app, school_a, school_b, model
):
    with app.test_request_context(base_url="http://school-a.localhost"):
        assert current_school().slug == "school-a"
        rows = get_db().scalars(select(model)).all()
        count = get_db().scalar(select(func.count()).select_from(model))
    assert rows
    assert {row.tenant_id for row in rows} == {school_a.school.id}
    assert count == len(rows)


def test_joins_aliases_and_get_are_scoped_too(app, school_a, school_b):
    with app.test_request_context(base_url="http://school-a.localhost"):
        current_school()
        session = get_db()
        owner = aliased(User)
        joined = session.execute(
            select(Submission.id, owner.email).join(owner, owner.id == Submission.user_id)
        ).all()
        assert joined == [(school_a.submission.id, school_a.user.email)]
        assert session.get(Submission, school_b.submission.id) is None
        assert session.get(User, school_b.user.id) is None


def test_a_bulk_update_only_touches_the_current_school(app, db, school_a, school_b):
    with app.test_request_context(base_url="http://school-a.localhost"):
        current_school()
        get_db().execute(update(ExpEntry).values(amount=0))
        get_db().commit()
    amounts = dict(db.execute(select(ExpEntry.tenant_id, ExpEntry.amount)).all())
    assert amounts == {school_a.school.id: 0, school_b.school.id: 50}


def test_rows_written_in_a_scoped_session_belong_to_its_school(app, school_a, school_b):
    with app.test_request_context(base_url="http://school-a.localhost"):
        current_school()
        session = get_db()
        entry = ExpEntry(user_id=school_a.user.id, reason="r", amount=1, source_key="new")
        session.add(entry)
        session.commit()
        assert entry.tenant_id == school_a.school.id

        session.add(
            ExpEntry(
                tenant_id=school_b.school.id,
                user_id=school_b.user.id,
                reason="r",
                amount=1,
                source_key="smuggled",
            )
        )
        with pytest.raises(CrossTenantWrite):
            session.flush()


def test_an_unscoped_session_is_asked_for_by_name_and_never_in_a_request(app, school_a, school_b):
    with app.app_context():
        tenants = set(get_unscoped_db().scalars(select(User.tenant_id)))
    assert {school_a.school.id, school_b.school.id} <= tenants
    with app.test_request_context(base_url="http://school-a.localhost"):
        with pytest.raises(RuntimeError):
            get_unscoped_db()


# --- through the pages -------------------------------------------------------------------


def test_a_student_of_school_a_cannot_log_in_at_school_b(app, school_a, school_b):
    browser = _browser_at(app, "school-b.localhost")
    assert browser.log_in(school_a.user.email, PASSWORD).status_code == 401
    assert browser.client.get("/profile").status_code == 302  # still nobody here


REFUSED_WITHOUT_INPUT = {"auth.reset_password": (400,)}


def test_every_get_route_with_school_b_ids_shows_nothing_of_school_b(
    app, student_a_browser, school_a, school_b
):
    object_ids = {"submission_id": school_b.submission.id}
    swept = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        unknown = rule.arguments - set(CONTENT_PARAMETERS) - set(object_ids)
        assert not unknown, f"the sweep does not know what to put in {rule.rule}: {unknown}"
        values = {
            name: CONTENT_PARAMETERS.get(name, object_ids.get(name)) for name in rule.arguments
        }
        path = rule.build(values)[1]
        # Pages that show one object take its id from the query string too.
        for url in (path, f"{path}?submission={school_b.submission.id}"):
            response = student_a_browser.client.get(url)
            body = response.get_data(as_text=True)
            # Case-insensitive: school B's emails and slug count as its data too.
            assert B_MARKER.lower() not in body.lower(), url
            # 404, never 403: an id of another school must not be told from a free one.
            expected = (404,) if rule.arguments & set(object_ids) else (200, 404)
            # A reset link without a live token of this school is refused as such.
            expected = REFUSED_WITHOUT_INPUT.get(rule.endpoint, expected)
            assert response.status_code in expected, (url, response.status_code)
        swept.append(rule.endpoint)
    assert "labs.submission_status" in swept and "gamification.profile" in swept


def test_the_sweep_ids_work_for_their_own_school(app, student_a_browser, school_a):
    # The 404s above are about the school, not a broken URL: school A's ids answer.
    own = school_a.submission.id
    assert student_a_browser.client.get(f"/submissions/{own}/status").status_code == 200
    assert student_a_browser.client.get(f"/submissions/{own}/chart.svg").status_code == 200
    lab = f"/courses/node-workers/labs/thread-lab?submission={own}"
    assert "SCHOOL-A code" in student_a_browser.client.get(lab).get_data(as_text=True)
