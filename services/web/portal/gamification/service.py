"""Grant rewards so that doing it twice changes nothing.

Inserts use the database's own "insert, or do nothing on a unique conflict", so two
web-workers recording the same result at once cannot both award: the unique keys on
(user, achievement) and (user, source_key) decide, not a read-then-write in Python.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal.gamification.rules import Reward, rewards_for
from portal.models import AchievementAward, ExpEntry, Submission, utc_now

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def grant_rewards(session: Session, submission: Submission) -> list[Reward]:
    """Award what the graded `submission` earns; returns the rewards new to the user."""
    granted = []
    for reward in rewards_for(submission.lab_id, submission.verdict or ""):
        now = utc_now()
        new_achievement = _insert_once(
            session,
            AchievementAward,
            tenant_id=submission.tenant_id,
            user_id=submission.user_id,
            achievement_id=reward.achievement_id,
            submission_id=submission.id,
            awarded_at=now,
        )
        new_exp = _insert_once(
            session,
            ExpEntry,
            tenant_id=submission.tenant_id,
            user_id=submission.user_id,
            reason=reward.reason,
            amount=reward.exp,
            source_key=reward.source_key,
            created_at=now,
        )
        if new_achievement or new_exp:
            granted.append(reward)
    return granted


def _insert_once(session: Session, model: type, **values: Any) -> bool:
    insert = _INSERTS[session.get_bind().dialect.name]
    result = session.execute(insert(model).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1


def achievements_for_submission(session: Session, submission: Submission) -> list[str]:
    """The achievement ids this submission earned."""
    return list(
        session.scalars(
            select(AchievementAward.achievement_id)
            .where(AchievementAward.submission_id == submission.id)
            .order_by(AchievementAward.id)
        )
    )
