"""The portal's tables, one module per aggregate; importing this registers them all."""

from portal.models.account import LoginAttempt, PasswordResetToken
from portal.models.ada import AdaConsultation
from portal.models.audit import AuditEvent
from portal.models.base import Base, utc_now
from portal.models.feed import Comment, Flag, Post, Reaction
from portal.models.group import GROUP_NAME_MAX, GroupMember, StudentGroup
from portal.models.lab_run import LabRun, RunStatus
from portal.models.notifications import Notification
from portal.models.premium import CodeRedemption, Entitlement, GrantSource, PremiumCode
from portal.models.progress import QuestionProgress, StepCompletion
from portal.models.reports import ErrorReport
from portal.models.rewards import AchievementAward, ExpEntry
from portal.models.school import (
    DEFAULT_BRAND_COLOUR,
    DEFAULT_SCHOOL_SLUG,
    School,
    SignupPolicy,
)
from portal.models.submission import IN_FLIGHT_STATUSES, Submission, SubmissionStatus
from portal.models.user import Role, User

__all__ = [
    "DEFAULT_BRAND_COLOUR",
    "DEFAULT_SCHOOL_SLUG",
    "IN_FLIGHT_STATUSES",
    "AchievementAward",
    "AdaConsultation",
    "AuditEvent",
    "Base",
    "CodeRedemption",
    "Comment",
    "Entitlement",
    "ErrorReport",
    "ExpEntry",
    "Flag",
    "GROUP_NAME_MAX",
    "GrantSource",
    "GroupMember",
    "LabRun",
    "LoginAttempt",
    "Notification",
    "PasswordResetToken",
    "Post",
    "PremiumCode",
    "QuestionProgress",
    "Reaction",
    "Role",
    "RunStatus",
    "School",
    "SignupPolicy",
    "StepCompletion",
    "StudentGroup",
    "Submission",
    "SubmissionStatus",
    "User",
    "utc_now",
]
