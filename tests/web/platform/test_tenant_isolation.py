"""Two schools holding the same kinds of data: the session of one never sees the other.

The route sweeps, which prove the same through every page, are in
`test_tenant_isolation_routes.py`; the two schools come from `two_schools.py`.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from portal.db import get_db, get_unscoped_db
from portal.models import Base, ExpEntry, Submission, User
from portal.models.base import TenantOwned
from portal.scoping import CrossTenantWrite
from portal.tenancy import current_school
from tests.web.conftest import PASSWORD
from tests.web.two_schools import browser_at

# Every tenant-owned model: a new table is covered without anyone adding it here.
TENANT_OWNED = sorted(
    (mapper.class_ for mapper in Base.registry.mappers if issubclass(mapper.class_, TenantOwned)),
    key=lambda model: model.__name__,
)


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
    browser = browser_at(app, "school-b.localhost")
    assert browser.log_in(school_a.user.email, PASSWORD).status_code == 401
    assert browser.client.get("/profile").status_code == 302  # still nobody here
