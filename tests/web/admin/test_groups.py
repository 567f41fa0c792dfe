"""Student groups: staff create, rename, fill, empty and delete them; the gradebook filters
by them. Every form carries its CSRF token; bad input is refused with its reason (422);
names lose bidirectional controls and are escaped; a student cannot reach the pages, and
another school's groups and students answer 404 and stay as they were.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, GroupMember, Role, StudentGroup, User
from tests.web.bidi_corpus import SAMPLES, controls_in
from tests.web.conftest import PASSWORD, log_in_as
from tests.web.gradebook_support import fill_school

GROUPS = "/admin/groups"


@pytest.fixture
def teacher(app, make_user, make_browser):
    user = make_user("teacher@example.org", PASSWORD, "Teacher", role=Role.INSTRUCTOR)
    return log_in_as(make_browser, app, user)


@pytest.fixture
def pupils(make_user) -> dict[str, User]:
    return {name: make_user(f"{name}@example.org", PASSWORD, name.title()) for name in "abc"}


def _create(browser, name: str):
    return browser.post_form(GROUPS, {"name": name})


def _group(db, name: str) -> StudentGroup:
    db.expire_all()
    return db.scalars(select(StudentGroup).where(StudentGroup.name == name)).one()


def _member_ids(db, group: StudentGroup) -> set[int]:
    db.expire_all()
    return set(db.scalars(select(GroupMember.user_id).where(GroupMember.group_id == group.id)))


def test_staff_create_fill_rename_empty_and_delete_a_group(app, db, teacher, pupils):
    response = _create(teacher, "  Year 10   B ")
    assert response.status_code == 302
    group = _group(db, "Year 10 B")  # trimmed, inner spaces collapsed
    page_path = f"{GROUPS}/{group.id}"
    assert response.headers["Location"].endswith(page_path)

    added = teacher.post_form(
        f"{page_path}/members", {"emails": "A@example.org, b@example.org\nb@example.org"}
    )
    assert added.status_code == 302
    assert _member_ids(db, group) == {pupils["a"].id, pupils["b"].id}
    page = teacher.client.get(page_path).get_data(as_text=True)
    assert "2 students" in page and "a@example.org" in page and "c@example.org" not in page
    listing = teacher.client.get(GROUPS).get_data(as_text=True)
    assert "Year 10 B" in listing and "<td>2</td>" in listing

    # Adding someone already in the group is no error and adds nobody twice.
    again = teacher.post_form(f"{page_path}/members", {"emails": "a@example.org"})
    assert again.status_code == 302 and len(_member_ids(db, group)) == 2

    assert teacher.post_form(f"{page_path}/rename", {"name": "Year 11 B"}).status_code == 302
    assert _group(db, "Year 11 B").id == group.id

    removed = teacher.post_form(f"{page_path}/members/{pupils['a'].id}/remove", {}, page_path)
    assert removed.status_code == 302 and _member_ids(db, group) == {pupils["b"].id}

    assert teacher.post_form(f"{page_path}/delete", {}, page_path).status_code == 302
    db.expire_all()
    assert db.scalars(select(StudentGroup)).all() == []
    assert db.scalars(select(GroupMember)).all() == []
    assert db.get(User, pupils["b"].id) is not None  # the student stays
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"group.created", "group.members_added", "group.renamed"} <= actions
    assert {"group.member_removed", "group.deleted"} <= actions


def test_a_student_may_be_in_several_groups(db, teacher, pupils):
    for name in ("Year 10 B", "Node club"):
        _create(teacher, name)
        group = _group(db, name)
        teacher.post_form(f"{GROUPS}/{group.id}/members", {"emails": "a@example.org"})
    db.expire_all()
    assert (
        len(db.scalars(select(GroupMember).where(GroupMember.user_id == pupils["a"].id)).all()) == 2
    )


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "Give the group a name."),
        ("   ", "Give the group a name."),
        ("\u202e", "Give the group a name."),  # nothing left once the control is gone
        ("x" * 81, "at most 80 characters"),
        ("year 10 b", "There is already a group named “Year 10 B”."),
    ],
)
def test_bad_names_are_refused_with_their_reason(db, teacher, name, error):
    assert _create(teacher, "Year 10 B").status_code == 302
    response = _create(teacher, name)
    assert response.status_code == 422
    assert error in response.get_data(as_text=True)
    db.expire_all()
    assert len(db.scalars(select(StudentGroup)).all()) == 1
    # Renaming to the same bad name is refused the same way.
    other = _create(teacher, "Other")
    assert other.status_code == 302
    group = _group(db, "Other")
    renamed = teacher.post_form(f"{GROUPS}/{group.id}/rename", {"name": name})
    assert renamed.status_code == 422 and error in renamed.get_data(as_text=True)
    assert _group(db, "Other").id == group.id


def test_a_group_may_be_renamed_to_another_case_of_its_own_name(db, teacher):
    _create(teacher, "year 10 b")
    group = _group(db, "year 10 b")
    assert (
        teacher.post_form(f"{GROUPS}/{group.id}/rename", {"name": "Year 10 B"}).status_code == 302
    )
    assert _group(db, "Year 10 B").id == group.id


def test_only_the_schools_students_join_and_nothing_changes_otherwise(
    db, teacher, pupils, other_school
):
    _create(teacher, "Year 10 B")
    group = _group(db, "Year 10 B")
    path = f"{GROUPS}/{group.id}/members"
    cases = {
        # Another school's student: unknown here, whatever their email.
        f"a@example.org {other_school[1].email}": other_school[1].email,
        "nobody@example.org": "nobody@example.org",
        "teacher@example.org": "Only students join groups",
        "  ": "Write the email of at least one student.",
    }
    for emails, error in cases.items():
        response = teacher.post_form(path, {"emails": emails})
        assert response.status_code == 422, emails
        assert error in response.get_data(as_text=True), emails
    assert _member_ids(db, group) == set()  # not even a@, listed beside a refused email
    # Removing another school's student, by id, is a 404 like an id that does not exist.
    foreign = teacher.post_form(f"{path}/{other_school[1].id}/remove", {}, f"{GROUPS}/{group.id}")
    assert foreign.status_code == 404


def test_every_form_needs_its_csrf_token(db, teacher, pupils):
    _create(teacher, "Year 10 B")
    group = _group(db, "Year 10 B")
    teacher.post_form(f"{GROUPS}/{group.id}/members", {"emails": "a@example.org"})
    base = f"{GROUPS}/{group.id}"
    for path, data in (
        (GROUPS, {"name": "Forged"}),
        (f"{base}/rename", {"name": "Forged"}),
        (f"{base}/members", {"emails": "b@example.org"}),
        (f"{base}/members/{pupils['a'].id}/remove", {}),
        (f"{base}/delete", {}),
    ):
        assert teacher.client.post(path, data=data).status_code == 400, path
    assert _group(db, "Year 10 B").id == group.id
    assert _member_ids(db, group) == {pupils["a"].id}


@pytest.mark.parametrize(("typed", "expected"), SAMPLES)
def test_names_are_stored_and_shown_without_bidi_controls(db, teacher, typed, expected):
    assert _create(teacher, typed).status_code == 302
    group = _group(db, expected)
    for path in (GROUPS, f"{GROUPS}/{group.id}", "/admin/progress"):
        page = teacher.client.get(path).get_data(as_text=True)
        assert expected in page and controls_in(page) == [], path


def test_names_are_escaped(db, teacher):
    name = '<img src=x onerror="alert(1)">'
    assert _create(teacher, name).status_code == 302
    group = _group(db, name)
    for path in (GROUPS, f"{GROUPS}/{group.id}", f"/admin/progress?group={group.id}"):
        page = teacher.client.get(path).get_data(as_text=True)
        assert "<img src=x" not in page and "&lt;img src=x" in page, path


def test_students_may_not_reach_the_group_pages(db, browsers, people):
    group = StudentGroup(tenant_id=people["student"].tenant_id, name="Year 10 B")
    db.add(group)
    db.commit()
    student = browsers["student"]
    token = student.csrf_token("/auth/login")
    assert student.client.get(GROUPS).status_code == 403
    assert student.client.get(f"{GROUPS}/{group.id}").status_code == 403
    for path in (GROUPS, f"{GROUPS}/{group.id}/rename", f"{GROUPS}/{group.id}/delete"):
        response = student.client.post(path, data={"name": "Mine", "csrf_token": token})
        assert response.status_code == 403, path
    assert browsers["guest"].client.get(GROUPS).status_code == 302
    assert _group(db, "Year 10 B").id == group.id


def test_an_admin_neither_sees_nor_changes_another_schools_groups(
    app, db, make_user, make_browser, other_school
):
    school_b, bea = other_school
    theirs = StudentGroup(tenant_id=school_b.id, name="B's secret group")
    db.add(theirs)
    db.flush()
    db.add(GroupMember(tenant_id=school_b.id, group_id=theirs.id, user_id=bea.id))
    db.commit()
    admin = make_user("head@example.org", PASSWORD, "Head", role=Role.SCHOOL_ADMIN)
    browser = log_in_as(make_browser, app, admin)
    assert "secret" not in browser.client.get(GROUPS).get_data(as_text=True)
    path = f"{GROUPS}/{theirs.id}"
    assert browser.client.get(path).status_code == 404
    for action, data in (
        ("/rename", {"name": "Taken over"}),
        ("/members", {"emails": "head@example.org"}),
        (f"/members/{bea.id}/remove", {}),
        ("/delete", {}),
    ):
        assert browser.post_form(path + action, data, GROUPS).status_code == 404, action
    # The gradebook ignores their group's id rather than showing its members.
    book = browser.client.get(f"/admin/progress?group={theirs.id}").get_data(as_text=True)
    assert "secret" not in book and bea.email not in book
    db.expire_all()
    assert db.get(StudentGroup, theirs.id).name == "B's secret group"
    assert _member_ids(db, theirs) == {bea.id}


def test_the_gradebook_filters_by_group_in_html_and_csv_alike(app, db, teacher, pupils):
    _create(teacher, "Year 10 B")
    group = _group(db, "Year 10 B")
    teacher.post_form(f"{GROUPS}/{group.id}/members", {"emails": "a@example.org c@example.org"})
    page = teacher.client.get(f"/admin/progress?group={group.id}&sort=name&dir=desc")
    body = page.get_data(as_text=True)
    assert "2 students in Year 10 B" in body
    assert "a@example.org" in body and "c@example.org" in body and "b@example.org" not in body
    assert f'<option value="{group.id}" selected>Year 10 B</option>' in body
    # The group stays in the links that sort, page and download.
    assert f"group={group.id}" in body.split('href="/admin/progress.csv?', 1)[1].split('"')[0]
    assert body.count(f"group={group.id}") >= 4
    download = teacher.client.get(f"/admin/progress.csv?group={group.id}&sort=name&dir=desc")
    assert f"gradebook-node-workers-group-{group.id}" in download.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert [row[1] for row in rows[1:]] == ["c@example.org", "a@example.org"]
    # An unknown or malformed group falls back to every student, on both.
    for value in ("999999", "nonsense"):
        everyone = teacher.client.get(f"/admin/progress?group={value}").get_data(as_text=True)
        assert "3 students." in everyone
        table = teacher.client.get(f"/admin/progress.csv?group={value}").get_data(as_text=True)
        assert len(list(csv.reader(io.StringIO(table)))) == 4


def test_a_school_without_groups_shows_no_group_filter(teacher, pupils):
    assert 'name="group"' not in teacher.client.get("/admin/progress").get_data(as_text=True)


def test_the_group_filter_costs_no_statement_per_student(
    app, db, make_user, make_browser, default_school
):
    from tests.web.admin.test_gradebook import SQL_BOUND, _statements, node_course

    admin = make_user("head@example.org", PASSWORD, "Head", role=Role.SCHOOL_ADMIN)
    browser = log_in_as(make_browser, app, admin)
    course = node_course(app)
    group = StudentGroup(tenant_id=default_school.id, name="Half")
    db.add(group)
    db.commit()

    def fill(count: int, first: int) -> None:
        fill_school(db, default_school, course, count, admin.password_hash, first=first)
        ids = db.scalars(select(User.id).where(User.role == Role.STUDENT.value, User.id % 2 == 0))
        known = set(db.scalars(select(GroupMember.user_id)))
        db.add_all(
            GroupMember(tenant_id=default_school.id, group_id=group.id, user_id=user_id)
            for user_id in ids
            if user_id not in known
        )
        db.commit()

    path = f"/admin/progress?group={group.id}"
    fill(60, 0)
    small = _statements(app, browser.client, path)
    fill(440, 60)
    page = browser.client.get(path).get_data(as_text=True)
    assert "250 students in Half" in page
    large = _statements(app, browser.client, path)
    assert large <= SQL_BOUND and large == small, (small, large)
    assert (
        _statements(app, browser.client, f"{path}.csv".replace("progress?", "progress.csv?"))
        <= SQL_BOUND
    )


def test_a_students_progress_page_names_their_groups(db, teacher, pupils):
    for name in ("Year 10 B", "Node club"):
        _create(teacher, name)
        teacher.post_form(f"{GROUPS}/{_group(db, name).id}/members", {"emails": "a@example.org"})
    page = teacher.client.get(f"/admin/progress/{pupils['a'].id}").get_data(as_text=True)
    club, year = _group(db, "Node club"), _group(db, "Year 10 B")
    assert f'<a href="{GROUPS}/{club.id}">Node club</a>, <a href="{GROUPS}/{year.id}">' in page
    other = teacher.client.get(f"/admin/progress/{pupils['b'].id}").get_data(as_text=True)
    assert "<dt>Groups</dt><dd>none</dd>" in other


def test_the_unique_constraint_refuses_what_a_concurrent_request_created(
    app, db, default_school, people, monkeypatch
):
    # Two staff members create "Year 10 B" at the same moment: both pass the name check,
    # the database refuses the second, and it is told why rather than shown an error page.
    from portal.admin import groups

    db.add(StudentGroup(tenant_id=default_school.id, name="Year 10 B"))
    db.commit()
    monkeypatch.setattr(groups, "_clean_name", lambda *_args, **_kwargs: "Year 10 B")
    with app.app_context(), pytest.raises(groups.GroupChangeRefused, match="already a group"):
        groups.create_group(db, default_school, people["instructor"], "Year 10 B")
    assert len(db.scalars(select(StudentGroup)).all()) == 1
