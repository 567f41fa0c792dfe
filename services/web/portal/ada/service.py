"""Asking A.D.A.: the rate limit, the choice of engine, the stored consultation.

The school's count of questions is on the dashboard (portal/admin/dashboard.py).

`ask` is the one entry point of the question form. A question with nothing to look up
(only punctuation, spaces or stopwords) gets "I did not understand" with a suggestion,
and goes nowhere. The school's endpoint is used only when the school turned it on; when
it fails, the offline engine answers and the note says why, so a student always gets an
answer from the course.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.ada.context import Context, citations, gather_context
from portal.ada.endpoint import EndpointFailed, EndpointSettings, ask_endpoint
from portal.ada.offline import Answer, not_understood_answer, offline_answer, sources_sentence
from portal.ada.words import has_content
from portal.catalogue.catalogue import Course
from portal.models import AdaConsultation, School, User, utc_now

MIN_QUESTION = 3
MAX_QUESTION = 1000
DEFAULT_QUESTIONS_PER_HOUR = 20
DEFAULT_ENDPOINT_TIMEOUT_SECONDS = 20.0
FALLBACK_NOTE = (
    "The school's assistant did not answer ({reason}); this answer comes from the course material."
)


class QuestionRefused(ValueError):
    """The question cannot be asked as it is (too short or too long)."""


class QuestionsThrottled(Exception):
    """The student asked the most questions an hour allows."""

    retry_after = 3600

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"You asked A.D.A. {limit} questions in the last hour, the most an hour allows. "
            "Try again later; your earlier answers are below."
        )


@dataclass(frozen=True)
class AdaPolicy:
    """The limits and timeouts from the app's configuration."""

    questions_per_hour: int = DEFAULT_QUESTIONS_PER_HOUR
    endpoint_timeout_seconds: float = DEFAULT_ENDPOINT_TIMEOUT_SECONDS

    @classmethod
    def from_config(cls, config) -> AdaPolicy:
        """Read ADA_QUESTIONS_PER_HOUR and ADA_ENDPOINT_TIMEOUT_SECONDS."""
        return cls(
            int(config.get("ADA_QUESTIONS_PER_HOUR", DEFAULT_QUESTIONS_PER_HOUR)),
            float(config.get("ADA_ENDPOINT_TIMEOUT_SECONDS", DEFAULT_ENDPOINT_TIMEOUT_SECONDS)),
        )


def endpoint_in_use(school: School) -> bool:
    """Whether questions of this school go to its own endpoint (turned on and complete)."""
    return bool(
        school.ada_endpoint_enabled and school.ada_endpoint_url and school.ada_endpoint_model
    )


def ask(
    session: Session, school: School, user: User, course: Course, question: str, policy: AdaPolicy
) -> AdaConsultation:
    """Answer `question` and store the consultation; commits.

    Raises QuestionRefused for a question of the wrong length and QuestionsThrottled past
    the hourly limit (nothing is stored then, nothing is sent anywhere).
    """
    question = (question or "").strip()
    if not MIN_QUESTION <= len(question) <= MAX_QUESTION:
        raise QuestionRefused(f"Ask your question in {MIN_QUESTION} to {MAX_QUESTION} characters.")
    if questions_in_last_hour(session, user) >= policy.questions_per_hour:
        raise QuestionsThrottled(policy.questions_per_hour)
    if has_content(question):
        context = gather_context(session, user, course, question)
        # End the read transaction before a school's endpoint may keep us waiting for
        # seconds (nothing is pending, and objects are not expired by a commit here).
        session.commit()
        answer = answer_question(school, context, policy)
    else:
        answer = not_understood_answer()
    consultation = AdaConsultation(
        tenant_id=school.id,
        user_id=user.id,
        course_id=course.id,
        question=question,
        answer=answer.text,
        engine=answer.engine,
        citations=answer.citations,
        submission_id=answer.submission_id,
        note=answer.note[:300],
    )
    session.add(consultation)
    session.commit()
    return consultation


def answer_question(school: School, context: Context, policy: AdaPolicy) -> Answer:
    """The school's endpoint's answer when it is on, else (or when it fails) the offline one."""
    if not endpoint_in_use(school):
        return offline_answer(context)
    settings = EndpointSettings(
        school.ada_endpoint_url or "",
        school.ada_endpoint_model or "",
        school.ada_endpoint_key or "",
        policy.endpoint_timeout_seconds,
    )
    try:
        text = ask_endpoint(settings, context)
    except EndpointFailed as failure:
        return offline_answer(context, note=FALLBACK_NOTE.format(reason=failure))
    cited = citations(context)
    if cited:
        text = f"{text}\n\n{sources_sentence(cited)}"
    return Answer(text, cited, "endpoint", "", context.submission_id)


def questions_in_last_hour(session: Session, user: User, now: datetime | None = None) -> int:
    """How many questions `user` asked in the hour before `now`."""
    since = (now or utc_now()) - timedelta(hours=1)
    query = (
        select(func.count())
        .select_from(AdaConsultation)
        .where(AdaConsultation.user_id == user.id, AdaConsultation.created_at >= since)
    )
    return session.scalar(query) or 0


def consultations_of(
    session: Session, user: User, course_id: str, limit: int = 50
) -> list[AdaConsultation]:
    """The student's consultations in a course, newest first."""
    query = (
        select(AdaConsultation)
        .where(AdaConsultation.user_id == user.id, AdaConsultation.course_id == course_id)
        .order_by(AdaConsultation.created_at.desc(), AdaConsultation.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
