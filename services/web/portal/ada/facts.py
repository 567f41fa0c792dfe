"""The student's last submission as plain facts, and what its numbers point to.

The grader stores each lab kind's measurements (see the labs' README.md under
services/sandbox-image/labs/); this module reads the ones a student can act on, without
trusting any number to be there (a failed run leaves nulls), and says them in sentences.
`diagnose` adds the likely causes the numbers point to, from fixed rules: the grader's
own thresholds, restated here because the portal does not import the grader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Submission, User

# The unblock-the-loop grader's thresholds (services/grader/grader/labs/unblock_the_loop.py).
MIN_EFFICIENCY = 0.55  # a speedup below this share of the ideal one misses the bonus
RESPONSIVE_MAX_STALL_RATIO = 0.25  # a worker run's p99 stall over the blocking run's
DUPLICATED_WORK_CPU = 1.5  # N-worker CPU time over the blocking run's: work done twice
# The spawn-vs-exec grader's threshold (spawn_vs_exec.py).
STREAMING_MAX_MEMORY_RATIO = 0.5
BUFFERING_CALLS = ("exec", "execFile", "spawnSync", "execSync", "execFileSync")


@dataclass(frozen=True)
class SubmissionFacts:
    """What A.D.A. may say about one submission."""

    submission_id: int
    lab_id: str
    lab_title: str
    verdict: str | None  # None while it is still being graded
    failed_checks: list[tuple[str, str]] = field(default_factory=list)  # (name, message)
    measured: list[str] = field(default_factory=list)  # the key numbers, as sentences
    causes: list[str] = field(default_factory=list)  # what the numbers point to

    @property
    def failed(self) -> bool:
        """Whether the grader's verdict is anything but a pass (still grading is not)."""
        return self.verdict is not None and self.verdict != "passed"

    def sentences(self) -> list[str]:
        """Every fact, in the order a student reads them."""
        if self.verdict is None:
            return [f"Your latest submission to {self.lab_title} is still being graded."]
        lines = [f"Your latest submission to {self.lab_title} {_verdict_text(self.verdict)}."]
        lines += [f"The check {name} failed: {message}" for name, message in self.failed_checks]
        lines += self.measured
        return lines


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
    failed = [
        (str(check.get("name", "")), str(check.get("message", "")))
        for check in submission.checks or []
        if isinstance(check, dict) and not check.get("passed")
    ]
    m = submission.measurements or {}
    readers = {"unblock-the-loop": _unblock_the_loop, "spawn-vs-exec": _spawn_vs_exec}
    measured, causes = readers.get(lab_kind, _nothing)(m)
    return SubmissionFacts(
        submission.id, submission.lab_id, lab_title, submission.verdict, failed, measured, causes
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
    }.get(verdict, f"ended as {verdict}")


def _nothing(_m: dict[str, Any]) -> tuple[list[str], list[str]]:
    return [], []


def number_at(data: Any, *path: str) -> float | None:
    """The number at `path` inside nested dicts, or None (a failed run leaves nulls)."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    if isinstance(data, bool) or not isinstance(data, int | float):
        return None
    return float(data)


def _ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def _mib(value: float) -> str:
    return f"{value / (1024 * 1024):.1f} MiB"


def _unblock_the_loop(m: dict[str, Any]) -> tuple[list[str], list[str]]:
    measured: list[str] = []
    causes: list[str] = []
    workers = int(number_at(m, "workers") or 0)
    speedup = number_at(m, "speedup", "median")
    ideal = number_at(m, "speedup", "ideal")
    cpus = number_at(m, "cpu_quota_cpus")
    peak = number_at(m, "variants", "n_workers", "peak_workers")
    blocked = number_at(m, "variants", "blocking", "loop_delay_p99_ms", "median")
    one = number_at(m, "variants", "one_worker", "loop_delay_p99_ms", "median")
    many = number_at(m, "variants", "n_workers", "loop_delay_p99_ms", "median")
    if speedup is not None and ideal:
        efficiency = number_at(m, "speedup", "efficiency") or speedup / ideal
        quota = f" on a {cpus:g}-CPU quota" if cpus else ""
        measured.append(
            f"With workers: {workers}, your solve() ran {speedup:.2f}x as fast as the main "
            f"thread alone; the ideal{quota} is {ideal:.2f}x ({efficiency:.0%} efficiency)."
        )
        if speedup < MIN_EFFICIENCY * ideal:
            causes += _slow_split_causes(m, workers, peak, ideal, cpus)
    if blocked is not None and (one is not None or many is not None):
        worst = max(value for value in (one, many) if value is not None)
        measured.append(
            f"The main thread's longest stall (p99 event-loop delay) was {_ms(blocked)} when "
            f"the job blocked it, and {_ms(worst)} with your workers."
        )
        if blocked and worst / blocked > RESPONSIVE_MAX_STALL_RATIO:
            causes.append(
                "The main thread still stalls with workers, so the heavy work (or a "
                "synchronous wait for it) is still on the main thread: call crunch() only "
                "inside the workers and wait for their messages with a promise."
            )
    return measured, causes


def _slow_split_causes(
    m: dict[str, Any], workers: int, peak: float | None, ideal: float, cpus: float | None
) -> list[str]:
    causes = []
    if peak is not None and peak < workers:
        causes.append(
            f"At most {int(peak)} of your {workers} workers ran at once: they were started "
            "one after another, or each was awaited before the next started. Start them "
            "all first, then wait for all of them (Promise.all)."
        )
    elif peak is None:
        causes.append(
            "Workers started one after another, or each awaited before the next starts, run "
            "in sequence: start them all first, then wait for all of them (Promise.all)."
        )
    cpu = number_at(m, "variants", "n_workers", "cpu_ms", "median")
    blocking_cpu = number_at(m, "variants", "blocking", "cpu_ms", "median")
    if cpu and blocking_cpu and cpu > DUPLICATED_WORK_CPU * blocking_cpu:
        causes.append(
            "Your workers used far more CPU time than the job needs: each may be doing the "
            "whole job instead of its share of the items."
        )
    causes.append(
        "Give each worker an even share: items / workers each, the last one taking the rest; "
        "an uneven split leaves the others waiting for the biggest share."
    )
    items = number_at(m, "items")
    if items and workers and items / workers < 10_000:
        causes.append(
            f"Each worker gets only about {int(items // workers)} items: starting a worker "
            "costs a few milliseconds, which small shares cannot win back."
        )
    if cpus and cpus < workers:
        causes.append(
            f"The quota gives the container {cpus:g} CPUs: more workers than that cannot run "
            f"at the same time, so {ideal:.2f}x is the most to expect."
        )
    return causes


def _spawn_vs_exec(m: dict[str, Any]) -> tuple[list[str], list[str]]:
    measured: list[str] = []
    causes: list[str] = []
    student = (m.get("variants") or {}).get("student") or {}
    api = str(student.get("api") or "")
    printed = number_at(m, "output_bytes")
    grew = number_at(student, "peak_rss_growth_bytes")
    exec_grew = number_at(m, "variants", "exec_reference", "peak_rss_growth_bytes")
    if api:
        measured.append(f"Your code called {api.replace('+', ' and ')} from child_process.")
    if grew is not None and exec_grew:
        output = f" reading {_mib(printed)} of output" if printed else ""
        measured.append(
            f"Your process grew by {_mib(grew)}{output}; exec's buffering grew the grader's by "
            f"{_mib(exec_grew)} ({grew / exec_grew:.0%} of it)."
        )
    error = str(student.get("error") or "")
    if any(call in api.split("+") for call in BUFFERING_CALLS) or "maxBuffer" in error:
        causes.append(
            "exec (and execFile) buffer the command's whole output before your callback runs "
            "and give up past maxBuffer (1 MiB by default): run the command with spawn and "
            "count the lines as the chunks stream in."
        )
    ratio = number_at(m, "memory_ratio")
    if ratio is not None and ratio > STREAMING_MAX_MEMORY_RATIO and "spawn" in api.split("+"):
        causes.append(
            "With spawn your memory still grew like exec's: the chunks are being kept (joined "
            "at the end?). Count each line as it arrives and keep only the count."
        )
    return measured, causes
