"""The portal's tables, one module per aggregate; importing this registers them all."""

from portal.models.base import Base, utc_now
from portal.models.progress import QuestionProgress, StepCompletion
from portal.models.rewards import AchievementAward, ExpEntry
from portal.models.school import DEFAULT_SCHOOL_SLUG, School
from portal.models.submission import IN_FLIGHT_STATUSES, Submission, SubmissionStatus
from portal.models.user import Role, User

__all__ = [
    "DEFAULT_SCHOOL_SLUG",
    "IN_FLIGHT_STATUSES",
    "AchievementAward",
    "Base",
    "ExpEntry",
    "QuestionProgress",
    "Role",
    "School",
    "StepCompletion",
    "Submission",
    "SubmissionStatus",
    "User",
    "utc_now",
]
