"""Who may write on the Holo-Net right now: suspensions, trust and hourly limits.

A new account is the cheapest tool of a spammer, so until an account has earned trust
(it is older than FEED_TRUST_MIN_AGE_DAYS, or it has FEED_TRUST_MIN_EXP EXP) it may
write only a few posts and comments an hour. Staff are always trusted. Every check takes
`now`, so tests move the clock instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.gamification.service import exp_total
from portal.models import Comment, Post, Role, User

RATE_WINDOW = timedelta(hours=1)


class PostingSuspended(Exception):
    """A moderator suspended the member from writing; the text names the end date."""

    def __init__(self, until: datetime) -> None:
        super().__init__(
            "A moderator suspended you from posting on the Holo-Net until "
            f"{until:%Y-%m-%d %H:%M} UTC."
        )
        self.until = until


class PostingThrottled(Exception):
    """The member wrote as much as their trust allows in the last hour."""

    retry_after = int(RATE_WINDOW.total_seconds())


@dataclass(frozen=True)
class TrustPolicy:
    """The trust thresholds and hourly limits, from the app's configuration."""

    min_age: timedelta
    min_exp: int
    new_posts_per_hour: int
    new_comments_per_hour: int
    trusted_posts_per_hour: int
    trusted_comments_per_hour: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TrustPolicy:
        return cls(
            min_age=timedelta(days=config.get("FEED_TRUST_MIN_AGE_DAYS", 3)),
            min_exp=config.get("FEED_TRUST_MIN_EXP", 100),
            new_posts_per_hour=config.get("FEED_NEW_POSTS_PER_HOUR", 3),
            new_comments_per_hour=config.get("FEED_NEW_COMMENTS_PER_HOUR", 10),
            trusted_posts_per_hour=config.get("FEED_TRUSTED_POSTS_PER_HOUR", 30),
            trusted_comments_per_hour=config.get("FEED_TRUSTED_COMMENTS_PER_HOUR", 120),
        )


DEFAULT_POLICY = TrustPolicy.from_config({})


def is_staff(user: User) -> bool:
    """Instructors and admins: they moderate, and are always trusted."""
    return user.role != Role.STUDENT.value


def is_trusted(session: Session, user: User, policy: TrustPolicy, now: datetime) -> bool:
    """Whether `user` has earned the higher limits (staff always have)."""
    if is_staff(user):
        return True
    if now - user.created_at >= policy.min_age:
        return True
    return exp_total(session, user) >= policy.min_exp


def check_not_suspended(user: User, now: datetime) -> None:
    """Raise PostingSuspended while a moderator's suspension of `user` runs."""
    until = user.posting_suspended_until
    if until is not None and until > now:
        raise PostingSuspended(until)


def check_may_post(session: Session, user: User, policy: TrustPolicy, now: datetime) -> None:
    """Raise PostingSuspended or PostingThrottled if `user` may not post now."""
    check_not_suspended(user, now)
    trusted = is_trusted(session, user, policy, now)
    limit = policy.trusted_posts_per_hour if trusted else policy.new_posts_per_hour
    recent = session.scalar(
        select(func.count())
        .select_from(Post)
        .where(Post.author_id == user.id, Post.created_at > now - RATE_WINDOW)
    )
    if recent >= limit:
        raise PostingThrottled(_throttled_message("posts", limit, trusted))


def check_may_comment(session: Session, user: User, policy: TrustPolicy, now: datetime) -> None:
    """Raise PostingSuspended or PostingThrottled if `user` may not comment now."""
    check_not_suspended(user, now)
    trusted = is_trusted(session, user, policy, now)
    limit = policy.trusted_comments_per_hour if trusted else policy.new_comments_per_hour
    recent = session.scalar(
        select(func.count())
        .select_from(Comment)
        .where(Comment.author_id == user.id, Comment.created_at > now - RATE_WINDOW)
    )
    if recent >= limit:
        raise PostingThrottled(_throttled_message("comments", limit, trusted))


def _throttled_message(what: str, limit: int, trusted: bool) -> str:
    why = "" if trusted else " while your account is new (it earns trust with age and EXP)"
    return (
        f"You can write at most {limit} {what} an hour{why}. "
        "Your text is kept below: try again later."
    )
