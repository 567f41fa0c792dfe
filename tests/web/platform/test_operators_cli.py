"""The operators' commands for schools and accounts: what they write, print and refuse."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.auth.reset import user_for_token
from portal.models import AuditEvent, School, User


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_school_create_writes_the_school_and_prints_its_url(app, db):
    result = run(app, "school", "create", "school-a", "--name", "School A")
    assert result.exit_code == 0, result.output
    assert "http://school-a.localhost:5000" in result.output
    school = db.scalars(select(School).where(School.slug == "school-a")).one()
    assert (school.name, school.domain, school.is_active) == ("School A", None, True)
    audit = db.scalars(select(AuditEvent).where(AuditEvent.tenant_id == school.id)).one()
    assert (audit.action, audit.actor_id) == ("school.created", None)


def test_school_create_with_a_domain_prints_the_domain(app, db):
    result = run(
        app, "school", "create", "school-b", "--name", "B", "--domain", "Courses.School-B.edu"
    )
    assert result.exit_code == 0, result.output
    assert "://courses.school-b.edu" in result.output
    assert db.scalars(select(School.domain).where(School.slug == "school-b")).one() == (
        "courses.school-b.edu"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["School-A", "--name", "A"], "lower-case letters"),
        (["ab-", "--name", "A"], "not starting or ending with a hyphen"),
        (["a" * 64, "--name", "A"], "1 to 63"),
        (["www", "--name", "A"], "reserved"),
        (["platform", "--name", "A"], "reserved"),
        (["default", "--name", "A"], "already exists"),
        (["ok", "--name", "   "], "needs a name"),
        (["ok", "--name", "A", "--domain", "http://x.edu"], "host name"),
        (["ok", "--name", "A", "--domain", "localhost"], "host name"),
        (["ok", "--name", "A", "--domain", "x.edu:8080"], "host name"),
        (["ok", "--name", "A", "--domain", "10.0.0.1"], "host name"),
    ],
)
def test_school_create_refuses_bad_input(app, db, args, message):
    result = run(app, "school", "create", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert db.scalars(select(School.slug)).all() == ["default"]


def test_a_domain_under_the_platforms_own_host_is_refused(make_app, db):
    app = make_app(BASE_URL="https://courses.example.org")
    result = run(app, "school", "create", "a", "--name", "A", "--domain", "b.courses.example.org")
    assert result.exit_code != 0
    assert "Addresses under courses.example.org are the platform's own" in result.output
    assert db.scalar(select(School).where(School.slug == "a")) is None


def test_school_create_refuses_a_domain_another_school_holds(app, db):
    assert run(app, "school", "create", "a", "--name", "A", "--domain", "a.edu").exit_code == 0
    result = run(app, "school", "create", "b", "--name", "B", "--domain", "A.EDU")
    assert result.exit_code != 0
    assert "already belongs to another school" in result.output
    assert db.scalar(select(School).where(School.slug == "b")) is None


def test_school_list_shows_every_school_with_its_users(app, make_user, default_school):
    make_user("one@example.org")
    make_user("two@example.org")
    run(app, "school", "create", "school-a", "--name", "School A", "--domain", "a.example.edu")
    result = run(app, "school", "list")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split() for line in result.output.splitlines()[1:]}
    assert lines["default"][-2:] == ["2", "yes"]
    assert lines["school-a"][-3:] == ["a.example.edu", "0", "yes"]


def test_user_create_prints_a_link_whose_token_sets_the_password(app, db, default_school):
    result = run(
        app,
        "user",
        "create",
        "--school",
        "default",
        "--email",
        "Grace@Example.org",
        "--role",
        "instructor",
        "--name",
        "Grace Hopper",
    )
    assert result.exit_code == 0, result.output
    link = re.search(r"(\S+)/auth/reset\?token=(\S+)", result.output)
    assert link, result.output
    user = db.scalars(select(User).where(User.email == "grace@example.org")).one()
    assert (user.role, user.display_name, user.tenant_id) == (
        "instructor",
        "Grace Hopper",
        default_school.id,
    )
    with app.app_context():
        assert user_for_token(db, link.group(2)).id == user.id
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.created")).one()
    assert audit.target == f"user:{user.id}"
    assert link.group(2) not in str(audit.detail)


def test_a_created_account_cannot_log_in_before_setting_a_password(app, browser):
    run(
        app,
        "user",
        "create",
        "--school",
        "default",
        "--email",
        "x@example.org",
        "--role",
        "student",
    )
    assert browser.log_in("x@example.org", "").status_code != 302


def test_user_create_at_another_school_links_to_that_school(app, db):
    run(app, "school", "create", "school-a", "--name", "A")
    result = run(
        app,
        "user",
        "create",
        "--school",
        "school-a",
        "--email",
        "a@example.org",
        "--role",
        "school_admin",
    )
    assert result.exit_code == 0, result.output
    assert "://school-a." in result.output
    school = db.scalars(select(School).where(School.slug == "school-a")).one()
    assert db.scalars(select(User.tenant_id)).all() == [school.id]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--school", "nowhere", "--email", "a@example.org", "--role", "student"],
            "no school has the slug 'nowhere'",
        ),
        (
            ["--school", "default", "--email", "not-an-email", "--role", "student"],
            "not an email address",
        ),
        (
            ["--school", "default", "--email", "a@example.org", "--role", "root"],
            "'root' is not one of",
        ),
        (
            ["--school", "default", "--email", "ada@example.org", "--role", "student"],
            "already has an account",
        ),
    ],
)
def test_user_create_refuses_bad_input(app, db, make_user, args, message):
    make_user("ada@example.org")
    result = run(app, "user", "create", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert db.scalars(select(User.email)).all() == ["ada@example.org"]


def test_the_same_email_may_have_an_account_at_two_schools(app, db, make_user):
    make_user("ada@example.org")
    run(app, "school", "create", "school-a", "--name", "A")
    result = run(
        app,
        "user",
        "create",
        "--school",
        "school-a",
        "--email",
        "ada@example.org",
        "--role",
        "student",
    )
    assert result.exit_code == 0, result.output
    assert len(db.scalars(select(User)).all()) == 2
