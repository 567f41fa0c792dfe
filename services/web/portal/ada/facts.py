"""The student's last submission as plain facts, and what its numbers point to.

The grader stores each lab kind's measurements (see the labs' README.md under
services/sandbox-image/labs/); this module reads the ones a student can act on, without
trusting any number to be there (a failed run leaves nulls), and says them in sentences.
The diagnoses (diagnoses.py, unblock_diagnoses.py) add the likely causes, from the
measurements first and the submitted code second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.ada.code_facts import read_code
from portal.ada.diagnoses import Diagnosis, Evidence, diagnose_spawn_vs_exec, memory_sentence
from portal.ada.numbers import median_at, ms_text, number_at
from portal.ada.unblock_diagnoses import diagnose_unblock_the_loop
from portal.models import Submission, User


@dataclass(frozen=True)
class SubmissionFacts:
    """What A.D.A. may say about one submission."""

    submission_id: int
    lab_id: str
    lab_title: str
    verdict: str | None  # None while it is still being graded
    failed_checks: list[tuple[str, str]] = field(default_factory=list)  # (name, message)
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
        """The failed checks: only their names when a diagnosis explains them."""
        if not self.failed_checks:
            return []
        if self.diagnoses:
            names = [f"`{name}`" for name, _message in self.failed_checks]
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
            noun = "check" if len(names) == 1 else "checks"
            return [f"The {noun} {listed} did not pass."]
        return [
            f"The check `{name}` did not pass: {_sentence(message)}"
            for name, message in self.failed_checks
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


def submission_facts(submission: Submission, lab_title: str, lab_kind: str) -> SubmissionFacts:
    """The facts of `submission`, read according to its lab's kind."""
    if not submission.is_final:
        return SubmissionFacts(submission.id, submission.lab_id, lab_title, None)
    checks = [check for check in submission.checks or [] if isinstance(check, dict)]
    failed = [
        (str(check.get("name", "")), str(check.get("message", "")))
        for check in checks
        if not check.get("passed") and not check.get("inconclusive")
    ]
    m = submission.measurements if isinstance(submission.measurements, dict) else {}
    evidence = Evidence(submission.verdict, checks, m, read_code(submission.code))
    measure, diagnose = READERS.get(lab_kind, (_nothing, _no_diagnosis))
    return SubmissionFacts(
        submission.id,
        submission.lab_id,
        lab_title,
        submission.verdict,
        failed,
        measure(m),
        diagnose(evidence),
    )


def _verdict_text(verdict: str) -> str:
    return {
        "passed": "passed",
        "failed": "failed",
        "error": "stopped with an error",
        "timeout": "ran out of time",
        "memory_exceeded": "ran out of memory",
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


def _nothing(_m: dict[str, Any]) -> list[str]:
    return []


def _no_diagnosis(_evidence: Evidence) -> list[Diagnosis]:
    return []


def _unblock_the_loop(m: dict[str, Any]) -> list[str]:
    measured: list[str] = []
    workers = int(number_at(m, "workers") or 0)
    speedup = number_at(m, "speedup", "median")
    ideal = number_at(m, "speedup", "ideal")
    cpus = number_at(m, "cpu_quota_cpus")
    blocked = median_at(m, "variants", "blocking", "loop_delay_p99_ms")
    one = median_at(m, "variants", "one_worker", "loop_delay_p99_ms")
    many = median_at(m, "variants", "n_workers", "loop_delay_p99_ms")
    if speedup is not None and ideal:
        efficiency = number_at(m, "speedup", "efficiency") or speedup / ideal
        quota = f" on a {cpus:g}-CPU quota" if cpus else ""
        measured.append(
            f"With `workers: {workers}`, your solve() ran {speedup:.2f}x as fast as the main "
            f"thread alone; the ideal{quota} is {ideal:.2f}x ({efficiency:.0%} efficiency)."
        )
    if blocked is not None and (one is not None or many is not None):
        worst = max(value for value in (one, many) if value is not None)
        measured.append(
            f"The main thread's longest stall (p99 event-loop delay) was {ms_text(blocked)} "
            f"when the job blocked it, and {ms_text(worst)} with your workers."
        )
    return measured


def _spawn_vs_exec(m: dict[str, Any]) -> list[str]:
    measured: list[str] = []
    student = (m.get("variants") or {}).get("student") or {}
    api = str(student.get("api") or "") if isinstance(student, dict) else ""
    if api:
        calls = " and ".join(f"`{call}`" for call in api.split("+") if call)
        measured.append(f"Your code called {calls} from `child_process`.")
    memory = memory_sentence(m)
    if memory:
        measured.append(memory)
    return measured


READERS: dict[str, tuple[Callable, Callable]] = {
    "unblock-the-loop": (_unblock_the_loop, diagnose_unblock_the_loop),
    "spawn-vs-exec": (_spawn_vs_exec, diagnose_spawn_vs_exec),
}
