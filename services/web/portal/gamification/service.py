"""Grant EXP and achievements so that doing it twice changes nothing.

Inserts use the database's own "insert, or do nothing on a unique conflict", so two
web-workers recording the same result at once cannot both award: the unique keys on
(user, achievement) and (user, source_key) decide, not a read-then-write in Python.
Which achievements exist and when they are earned is content (`achievements.yaml`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal.catalogue.catalogue import Catalogue, Course
from portal.catalogue.content import Achievement
from portal.gamification.rules import LearnerState, earned_achievements
from portal.models import (
    AchievementAward,
    ExpEntry,
    QuestionProgress,
    StepCompletion,
    Submission,
    User,
    utc_now,
)
from portal.notifications.service import notify

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
# Where an achievement notification leads. A literal path: the results worker awards
# outside any request, where url_for has no host to build with.
PROFILE_LINK = "/profile"
# The kinds of row learner_state's one statement returns (and one it derives).
_LAB, _QUESTION, _STEP, _EXP, _FIRST_TRY = "lab", "question", "step", "exp", "first_try"


def add_exp(session: Session, user: User, amount: int, reason: str, source_key: str) -> int:
    """Append `amount` EXP for `source_key` unless the user has it already; the EXP added."""
    if amount <= 0:
        return 0
    added = insert_once(
        session,
        ExpEntry,
        tenant_id=user.tenant_id,
        user_id=user.id,
        reason=reason[:200],
        amount=amount,
        source_key=source_key,
        created_at=utc_now(),
    )
    return amount if added else 0


def exp_total(session: Session, user: User) -> int:
    """The user's EXP: the sum of their ledger."""
    total = session.scalar(
        select(func.coalesce(func.sum(ExpEntry.amount), 0)).where(
            ExpEntry.user_id == user.id, ExpEntry.tenant_id == user.tenant_id
        )
    )
    return int(total or 0)


def _learner_state_statement():
    """The UNION ALL learner_state runs, built once: its parameters are bound per call."""
    tenant, user, course = bindparam("tenant_id"), bindparam("user_id"), bindparam("course_id")
    no_flag, no_amount = cast(null(), Boolean), cast(null(), Integer)

    def mine(model) -> list:
        return [model.tenant_id == tenant, model.user_id == user, model.course_id == course]

    passed = (
        select(literal(_LAB), Submission.lab_id, no_flag, no_amount)
        .where(*mine(Submission), Submission.verdict == "passed")
        .distinct()
    )
    questions = select(
        literal(_QUESTION), QuestionProgress.question_id, QuestionProgress.first_try, no_amount
    ).where(*mine(QuestionProgress), QuestionProgress.solved_at.is_not(None))
    steps = select(literal(_STEP), StepCompletion.step_id, no_flag, no_amount).where(
        *mine(StepCompletion)
    )
    exp = select(
        literal(_EXP), cast(null(), String), no_flag, func.coalesce(func.sum(ExpEntry.amount), 0)
    ).where(ExpEntry.user_id == user, ExpEntry.tenant_id == tenant)
    return union_all(passed, questions, steps, exp)


_LEARNER_STATE = _learner_state_statement()


def learner_state(session: Session, user: User, course: Course) -> LearnerState:
    """What `user` has done in `course`, read from the database in one statement.

    Every course page shows it (step page, course page, lab page), so its four reads go
    in one UNION ALL: a row per passed lab, solved question and completed step, and one
    with the EXP total. One round trip instead of four.
    """
    mine = {"tenant_id": user.tenant_id, "user_id": user.id, "course_id": course.id}
    rows = session.execute(_LEARNER_STATE, mine).all()
    ids: dict[str, set[str]] = {_LAB: set(), _QUESTION: set(), _STEP: set(), _FIRST_TRY: set()}
    total = 0
    for kind, item, first_try, amount in rows:
        if kind == _EXP:
            total = int(amount or 0)
            continue
        ids[kind].add(item)
        if kind == _QUESTION and first_try:
            ids[_FIRST_TRY].add(item)
    return LearnerState(
        passed_labs=frozenset(ids[_LAB]),
        solved_questions=frozenset(ids[_QUESTION]),
        first_try_questions=frozenset(ids[_FIRST_TRY]),
        completed_steps=frozenset(ids[_STEP]),
        exp_total=total,
    )


def held_achievements(session: Session, user: User) -> set[str]:
    """Ids of the achievements the user holds."""
    return set(
        session.scalars(
            select(AchievementAward.achievement_id).where(
                AchievementAward.tenant_id == user.tenant_id, AchievementAward.user_id == user.id
            )
        )
    )


def award_achievements(
    session: Session, user: User, course: Course, submission_id: int | None = None
) -> list[Achievement]:
    """Award every achievement of `course` whose rule now holds; returns the new ones.

    Repeats until nothing more unlocks, since a bonus can lift the EXP over an
    `exp_at_least` rule. The caller commits.
    """
    session.flush()
    unlocked: list[Achievement] = []
    for _ in range(len(course.achievements) + 1):
        held = held_achievements(session, user)
        state = learner_state(session, user, course)
        new = [a for a in earned_achievements(course, state) if a.id not in held]
        if not new:
            break
        for achievement in new:
            if insert_once(
                session,
                AchievementAward,
                tenant_id=user.tenant_id,
                user_id=user.id,
                achievement_id=achievement.id,
                submission_id=submission_id,
                awarded_at=utc_now(),
            ):
                unlocked.append(achievement)
                # Only the inserting call gets here, so a result recorded twice (or two
                # workers racing) tells the student once.
                notify(
                    session,
                    user,
                    "achievement",
                    f"Achievement unlocked: {achievement.title}",
                    PROFILE_LINK,
                )
                add_exp(
                    session,
                    user,
                    achievement.exp,
                    f"Achievement: {achievement.title}",
                    f"achievement:{achievement.id}",
                )
    return unlocked


def grant_rewards(session: Session, catalogue: Catalogue, submission: Submission) -> list[str]:
    """Award what the graded `submission` earns; returns the ids of new achievements."""
    course = catalogue.course(submission.course_id)
    lab = course.lab(submission.lab_id) if course else None
    if course is None or lab is None or submission.verdict != "passed":
        return []
    user = session.get(User, submission.user_id)
    add_exp(session, user, lab.exp, f"Passed the {lab.title}", f"lab-passed:{lab.id}")
    return [a.id for a in award_achievements(session, user, course, submission.id)]


def insert_once(session: Session, model: type, **values: Any) -> bool:
    """Insert a row unless a unique key already holds it; whether it was inserted."""
    insert = _INSERTS[session.get_bind().dialect.name]
    # RETURNING tells reliably whether a row went in: the ORM's rowcount does not on
    # every driver for ON CONFLICT DO NOTHING.
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(model.id)
    return session.execute(statement).first() is not None


def achievements_for_submission(session: Session, submission: Submission) -> list[str]:
    """The achievement ids this submission earned."""
    return list(
        session.scalars(
            select(AchievementAward.achievement_id)
            .where(AchievementAward.submission_id == submission.id)
            .order_by(AchievementAward.id)
        )
    )
