"""`flask --app portal premium grant|codes`: what they write, and what they refuse."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Entitlement, PremiumCode, utc_now
from portal.premium.codes import CODE_ALPHABET
from tests.web.premium.premium_support import count

TOMORROW = (utc_now() + timedelta(days=1)).date().isoformat()
YESTERDAY = (utc_now() - timedelta(days=1)).date().isoformat()


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["premium", *args])


def test_grant_to_one_account(run, db, pupil):
    result = run(
        "grant", "--school", "default", "--email", "Pupil@Example.org",
        "--until", TOMORROW, "--reason", "scholarship",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert f"until {TOMORROW}" in result.output
    grant = db.scalars(select(Entitlement)).one()
    assert (grant.user_id, grant.source, grant.reason, grant.granted_by_id) == (
        pupil.id,
        "admin",
        "scholarship",
        None,
    )
    assert grant.until.date().isoformat() == TOMORROW
    event = db.scalars(select(AuditEvent)).one()
    assert (event.action, event.actor_id) == ("premium.granted", None)


def test_grant_all_is_a_school_wide_licence_for_good(run, db, default_school):
    result = run("grant", "--school", "default", "--all")

    assert result.exit_code == 0, result.output
    assert "for good" in result.output
    licence = db.scalars(select(Entitlement)).one()
    assert (licence.tenant_id, licence.user_id, licence.source, licence.until) == (
        default_school.id,
        None,
        "licence",
        None,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--school", "nope", "--all"], "no school with the slug 'nope'"),
        (["--school", "default", "--email", "ghost@example.org"], "No account with the email"),
        (["--school", "default"], "exactly one of --email EMAIL or --all"),
        (["--school", "default", "--all", "--email", "pupil@example.org"], "exactly one of"),
        (["--school", "default", "--all", "--until", "2030-13-01"], "--until"),
        (["--school", "default", "--all", "--until", YESTERDAY], "is in the past"),
        (["--school", "default", "--all", "--course", "nope"], "no course 'nope'"),
    ],
)
def test_grant_refuses_bad_input(run, db, pupil, args, message):
    result = run("grant", *args)

    assert result.exit_code != 0
    assert message in result.output
    assert count(db, Entitlement) == 0


def test_grant_by_email_only_finds_accounts_of_that_school(run, db, second_school):
    result = run("grant", "--school", "default", "--email", "pupil@school-b.example.org")
    assert result.exit_code != 0
    assert count(db, Entitlement) == 0


def test_codes_prints_one_code_a_line_and_stores_them(run, db, second_school):
    result = run(
        "codes", "--school", "school-b", "--count", "5", "--uses", "3",
        "--until", TOMORROW, "--course", "node-workers",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    printed = result.output.split()
    assert len(printed) == 5
    for code in printed:
        assert len(code) == 14 and set(code.replace("-", "")) <= set(CODE_ALPHABET)
    stored = db.scalars(select(PremiumCode)).all()
    assert sorted(code.code for code in stored) == sorted(printed)
    assert {(c.tenant_id, c.max_uses, c.course_id) for c in stored} == {
        (second_school.id, 3, "node-workers")
    }
    assert {c.until.date().isoformat() for c in stored} == {TOMORROW}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--school", "nope", "--count", "1"], "no school with the slug 'nope'"),
        (["--school", "default", "--count", "0"], "must be between 1 and 1000"),
        (["--school", "default", "--count", "1001"], "must be between 1 and 1000"),
        (["--school", "default", "--count", "2", "--uses", "0"], "must be at least 1"),
        (["--school", "default", "--count", "2", "--until", YESTERDAY], "is in the past"),
        (["--school", "default", "--count", "2", "--until", "tomorrow"], "--until"),
        (["--school", "default", "--count", "2", "--course", "nope"], "no course 'nope'"),
        (["--school", "default"], "Missing option '--count'"),
    ],
)
def test_codes_refuses_bad_input(run, db, args, message):
    result = run("codes", *args)

    assert result.exit_code != 0
    assert message in result.output
    assert count(db, PremiumCode) == 0
