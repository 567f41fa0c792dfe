"""What a recorded passing result awards, checked for duplicates after a fault.

The fault tests (an Engine or a database away while a submission is graded) end the same
way: the lab's EXP, each achievement, its notification and any shared achievement post
exist once for the student, however often the grading or the recording was retried.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import AchievementAward, ExpEntry, Notification, Post

LAB_EXP_SOURCE = "lab-passed:thread-lab"


def assert_rewarded_once(db: Session, user_id: int) -> None:
    """Fail unless the student's Thread Lab pass and what it unlocked count once each."""
    db.expire_all()  # rows written by the web-worker since the session last looked
    exp = Counter(db.scalars(select(ExpEntry.source_key).where(ExpEntry.user_id == user_id)))
    assert exp[LAB_EXP_SOURCE] == 1, exp
    assert set(exp.values()) == {1}, f"EXP awarded twice: {exp}"
    awards = Counter(
        db.scalars(
            select(AchievementAward.achievement_id).where(AchievementAward.user_id == user_id)
        )
    )
    assert set(awards.values()) <= {1}, f"achievements awarded twice: {awards}"
    notices = db.scalars(
        select(Notification.message).where(
            Notification.user_id == user_id, Notification.kind == "achievement"
        )
    ).all()
    assert len(notices) == sum(awards.values()), f"{notices} for {awards}"
    shares = Counter(
        db.scalars(
            select(Post.achievement_id).where(Post.author_id == user_id, Post.kind == "achievement")
        )
    )
    assert set(shares.values()) <= {1}, f"achievements shared twice: {shares}"
