"""The student's last submission as plain facts, and what its numbers point to.

The grader says what to show (GradeResult version 2): the key measurements as sentences
(findings) and the likely causes of a shortfall (diagnoses). The portal only reads them
back from the submission, so A.D.A. works for any lab of any grader without knowing its
kind; a submission graded by an older grader has neither, and A.D.A. says only its verdict
and checks. A check is named by its title from the lab's content, as the result pages name
it, never by the identifier the grader reports it under.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.catalogue.catalogue import Lab, check_title, with_check_titles
from portal.models import Submission, User


@dataclass(frozen=True)
class Diagnosis:
    """One likely cause, the numbers behind it, and what to do about it (from the grader)."""

    cause: str  # a stable identifier, e.g. "work_on_main_thread"
    summary: str  # the cause, in one sentence
    evidence: str  # the measurements (or code) that point to it, in sentences
    advice: str  # what to do, in complete sentences
    topic: str  # the course's words for it: the engine cites the step that teaches them

    def text(self) -> str:
        """The diagnosis as one paragraph of sentences."""
        return " ".join(part for part in (self.summary, self.evidence, self.advice) if part)


@dataclass(frozen=True)
class SubmissionFacts:
    """What A.D.A. may say about one submission."""

    submission_id: int
    lab_id: str
    lab_title: str
    verdict: str | None  # None while it is still being graded
    # (title from the lab's content, the grader's message), both Markdown
    failed_checks: list[tuple[str, str]] = field(default_factory=list)
    measured: list[str] = field(default_factory=list)  # the key numbers, as sentences
    diagnoses: list[Diagnosis] = field(default_factory=list)  # what the numbers point to

    @property
    def causes(self) -> list[str]:
        """Each diagnosis as a paragraph of sentences."""
        return [diagnosis.text() for diagnosis in self.diagnoses]

    @property
    def failed(self) -> bool:
        """Whether the grader's verdict is anything but a pass (still grading is not)."""
        return self.verdict is not None and self.verdict != "passed"

    def verdict_sentence(self) -> str:
        """What became of the submission, in one sentence."""
        if self.verdict is None:
            return f"Your latest submission to {self.lab_title} is still being graded."
        return f"Your latest submission to {self.lab_title} {_verdict_text(self.verdict)}."

    def checks_sentences(self) -> list[str]:
        """The failed checks: only their titles when a diagnosis explains them."""
        if not self.failed_checks:
            return []
        if self.diagnoses:
            names = [f"“{title}”" for title, _message in self.failed_checks]
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
            noun = "check" if len(names) == 1 else "checks"
            return [f"The {noun} {listed} did not pass."]
        return [
            f"The check “{title}” did not pass: {_sentence(message)}"
            for title, message in self.failed_checks
        ]

    def sentences(self) -> list[str]:
        """Every fact, in the order a student reads them."""
        if self.verdict is None:
            return [self.verdict_sentence()]
        return [self.verdict_sentence(), *self.checks_sentences(), *self.measured]


def latest_submission(session: Session, user: User, course_id: str) -> Submission | None:
    """The student's most recent submission in the course, to any of its labs."""
    query = (
        select(Submission)
        .where(Submission.user_id == user.id, Submission.course_id == course_id)
        .order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def submission_facts(submission: Submission, lab: Lab | None) -> SubmissionFacts:
    """The facts of `submission`, as its grader stated them; `lab` is the content's (None
    when the course no longer has it: its id stands for its title)."""
    lab_title = lab.title if lab is not None else submission.lab_id
    if not submission.is_final:
        return SubmissionFacts(submission.id, submission.lab_id, lab_title, None)
    checks = [check for check in submission.checks or [] if isinstance(check, dict)]
    failed = [
        (
            check_title(lab, str(check.get("name", ""))),
            with_check_titles(str(check.get("message", "")), lab),
        )
        for check in checks
        if not check.get("passed") and not check.get("inconclusive")
    ]
    analysis = submission.analysis if isinstance(submission.analysis, dict) else {}
    return SubmissionFacts(
        submission.id,
        submission.lab_id,
        lab_title,
        submission.verdict,
        failed,
        [text for text in analysis.get("findings") or [] if isinstance(text, str)],
        [d for d in map(_diagnosis, analysis.get("diagnoses") or []) if d is not None],
    )


def _diagnosis(stored: Any) -> Diagnosis | None:
    """A stored diagnosis, or None when it is not the shape the contract gives it."""
    if not isinstance(stored, dict):
        return None
    parts = [stored.get(name) for name in ("cause", "summary", "evidence", "advice", "topic")]
    return Diagnosis(*parts) if all(isinstance(part, str) for part in parts) else None


def _verdict_text(verdict: str) -> str:
    return {
        "passed": "passed",
        "failed": "failed",
        "error": "stopped with an error",
        "timeout": "ran out of time",
        "memory_exceeded": "ran out of memory",
        "process_limit_exceeded": "started more processes than the sandbox allows",
        "output_limit": "printed more than the output limit",
        "infra_error": "could not be graded (our fault, not yours)",
        "inconclusive": (
            "could not be judged: the grading machine was too busy to measure it, so it "
            "does not count"
        ),
    }.get(verdict, f"ended as {verdict}")


def _sentence(message: str) -> str:
    """A grader's message as a complete sentence (ending with a full stop)."""
    message = message.strip()
    return message if message.endswith((".", "!", "?")) else f"{message}."
