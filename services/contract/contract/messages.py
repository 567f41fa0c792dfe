"""The messages that cross the queue between the portal and the graders.

Each message is a frozen dataclass with a `schema_version`. Additive fields keep the
version; a breaking change bumps the version of that message only, and the codec accepts
the versions listed for it, so that a rolling deploy can run old and new processes side by
side in either order:

- GradeRequest and RunRequest are at version 1 (`SCHEMA_VERSION`).
- GradeResult is at version 3 (`GRADE_RESULT_VERSION`). Version 2 carries what the portal
  shows (findings, diagnoses, charts), and the portal stops reading lab-specific
  measurements. Version 3 may carry the verdict `process_limit_exceeded`.
- RunResult is at version 2 (`RUN_RESULT_VERSION`): it may carry the outcome
  `process_limit_exceeded`.
- A request says which result versions its portal reads (`result_versions`, additive: an
  older portal sends none and means 1); a grader answers in the highest one both know, so
  an older portal never receives a version it refuses, and a newer portal reads them all.
- A status is a closed set that an older portal refuses when it does not know a name, so a
  new status comes with a new result version, and a grader answering an older reader
  writes the status that reader showed for it before (`STATUS_FALLBACKS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1  # GradeRequest, RunRequest
SUPPORTED_VERSIONS = frozenset({1})
GRADE_RESULT_VERSION = 3  # what graders write when the portal reads it
GRADE_RESULT_VERSIONS = frozenset({1, 2, 3})  # what a portal reads and a grader writes
RUN_RESULT_VERSION = 2  # what graders write when the portal reads it
RUN_RESULT_VERSIONS = frozenset({1, 2})  # what a portal reads and a grader writes

VERDICTS = (
    "passed",  # every check held
    "failed",  # the code ran, some check did not hold
    "error",  # the student's code crashed or did not compile
    "timeout",  # the wall-time limit stopped it
    "memory_exceeded",  # the memory limit stopped it
    "process_limit_exceeded",  # the process limit stopped it (a fork bomb); GradeResult 3
    "output_limit",  # it printed more than the output limit
    "infra_error",  # ours (daemon down, image missing): retried, never counted
    "inconclusive",  # measurements stayed noisier than their effect: re-measured, never counted
)


@dataclass(frozen=True)
class SubmittedFile:
    """One file of a submission, as the student typed it."""

    path: str  # relative POSIX path inside the submission, e.g. "main.js"
    content: str  # the file's text (UTF-8)


@dataclass(frozen=True)
class Limits:
    """Resource limits for one sandbox run. The grader clamps them to its own ceilings."""

    wall_seconds: float  # inner wall-time limit for the student's code
    memory_mib: int  # memory (and memory+swap) of the container
    cpus: float  # CPU quota, as `docker run --cpus`
    pids: int  # pids limit; counts threads, so leave room for Node's own
    output_bytes: int  # bytes of stdout+stderr kept (head and tail)


@dataclass(frozen=True)
class GradeRequest:
    """The portal asks a grader to grade one submission."""

    schema_version: int  # SCHEMA_VERSION when written
    submission_id: str  # the portal's id; also the idempotency key
    tenant_id: str  # the school the submission belongs to
    lab_id: str  # the lab's id in the course content, e.g. "thread-lab"
    lab_kind: str  # which grading program runs it, e.g. "thread-lab"
    files: tuple[SubmittedFile, ...]  # the student's files
    entrypoint: str  # the file to run, one of `files`
    limits: Limits  # requested limits; never trusted as given
    check_config: dict[str, Any] = field(default_factory=dict)  # the lab's check settings
    queued_at: str = ""  # ISO 8601 UTC time the portal enqueued it
    # The GradeResult versions the requesting portal reads; absent (an older portal): 1.
    result_versions: tuple[int, ...] = (1,)


@dataclass(frozen=True)
class CheckResult:
    """One check of a lab, as the student sees it."""

    name: str  # stable identifier, e.g. "creates_worker"
    passed: bool  # whether it held (False when inconclusive)
    message: str  # what A.D.A. says about it
    inconclusive: bool = False  # measured, but the host was too noisy to tell held from not held


@dataclass(frozen=True)
class Output:
    """What the student's code printed, kept as head and tail when it was too long."""

    text: str  # head, an elision marker, and tail; always valid text
    truncated: bool  # whether bytes were left out
    bytes_total: int  # bytes printed in all


@dataclass(frozen=True)
class AchievementEvent:
    """Something the student did that the portal may reward (it decides what and how)."""

    kind: str  # e.g. "lab_passed"
    lab_id: str  # the lab it concerns


@dataclass(frozen=True)
class PhaseTimes:
    """When each phase happened, as ISO 8601 UTC strings ("" when it did not happen)."""

    queued: str  # the portal enqueued the request
    started: str  # a grader took the job
    container_started: str  # the sandbox container started
    finished: str  # the result was ready


@dataclass(frozen=True)
class Diagnosis:
    """A likely cause of what the measurements show, as A.D.A. explains it (version 2)."""

    cause: str  # a stable identifier of the cause, e.g. "work_on_main_thread"
    summary: str  # the cause, in one sentence
    evidence: str  # the measurements (or code) that point to it, in sentences
    advice: str  # what to do, in complete sentences
    topic: str  # the course's words for it: the portal cites the step that teaches them


@dataclass(frozen=True)
class ChartBar:
    """One labelled value of a chart panel."""

    label: str  # e.g. "1 worker"
    value: float  # in the chart's unit, >= 0
    text: str  # the value as the student reads it, e.g. "12 ms"
    role: str  # "baseline" (what is compared against) or "measured"
    check: str = ""  # the check that judged this value, if one did
    outcome: str = ""  # that check's outcome: held, did_not_hold or not_judged


@dataclass(frozen=True)
class Chart:
    """One panel of bars the portal draws as it is, knowing nothing of the lab (version 2)."""

    title: str  # e.g. "Longest main-thread stall (p99 event-loop delay)"
    unit: str  # e.g. "ms", "x"
    bars: tuple[ChartBar, ...]
    ideal: float = 0.0  # drawn as a line across the panel; 0: none
    ideal_label: str = ""  # e.g. "Ideal on this quota: 2x"


@dataclass(frozen=True)
class GradeResult:
    """A grader's answer to one GradeRequest."""

    schema_version: int  # GRADE_RESULT_VERSION, or the older one its portal reads
    submission_id: str  # the request's submission_id
    tenant_id: str  # the request's tenant_id
    lab_id: str  # the request's lab_id
    verdict: str  # one of VERDICTS
    score: float  # 0..1
    gradable: bool  # False: not the student's fault (infra_error), no attempt used
    checks: tuple[CheckResult, ...]  # each check, in the lab's order
    feedback: str  # A.D.A.'s words for the student
    output: Output  # what the code printed
    measurements: dict[str, Any] = field(default_factory=dict)  # numbers the harness measured
    achievements: tuple[AchievementEvent, ...] = ()  # events for the portal to reward
    times: PhaseTimes = PhaseTimes("", "", "", "")  # phase timestamps
    grader_host: str = ""  # the host that graded it (its node's name); "" from older graders
    # The OCI runtime its sandbox ran under ("runc", "runsc"); "" when no sandbox ran (a
    # refused submission, an Engine that failed) or from an older grader. Additive, as
    # grader_host: both versions carry it.
    sandbox_runtime: str = ""
    # How long each phase took, in ms (grader.phases names them), for benches and operators;
    # the portal shows none of it. {} from an older grader. Additive: both versions carry it.
    phases_ms: dict[str, float] = field(default_factory=dict)
    # Version 2: what the portal shows, so that it needs to know nothing of the lab.
    findings: tuple[str, ...] = ()  # the key measurements, as sentences A.D.A. may quote
    diagnoses: tuple[Diagnosis, ...] = ()  # likely causes of a shortfall, most telling first
    charts: tuple[Chart, ...] = ()  # panels of the measured numbers


RUN_OUTCOMES = (
    "completed",  # the program ran to its end (or did its job and was stopped, as graded)
    "error",  # it crashed or did not parse
    "timeout",  # the wall-time limit stopped it
    "memory_exceeded",  # the memory limit stopped it
    "process_limit_exceeded",  # the process limit stopped it (a fork bomb); RunResult 2
    "output_limit",  # it printed more than the output limit
    "infra_error",  # ours (daemon down, image missing): nothing to do with the code
)

# Statuses (verdicts and run outcomes alike) newer than the first result version: the
# result version that brought each, and the status a reader of an older version showed for
# it (before `process_limit_exceeded`, a fork bomb was an `error` naming the limit).
STATUS_SINCE = {"process_limit_exceeded": {"GradeResult": 3, "RunResult": 2}}
STATUS_FALLBACKS = {"process_limit_exceeded": "error"}


@dataclass(frozen=True)
class RunRequest:
    """The portal asks a grader to run a student's code once, ungraded ("Run")."""

    schema_version: int  # SCHEMA_VERSION when written
    run_id: str  # the portal's id of the run; also the idempotency key
    tenant_id: str  # the school the run belongs to
    lab_id: str  # the lab's id in the course content
    lab_kind: str  # which lab program runs it (a driven lab runs its driver)
    files: tuple[SubmittedFile, ...]  # the student's files
    entrypoint: str  # the file to run, one of `files`
    limits: Limits  # requested limits; clamped by the grader like a grade's
    check_config: dict[str, Any] = field(default_factory=dict)  # the lab's settings
    queued_at: str = ""  # ISO 8601 UTC time the portal enqueued it
    # The RunResult versions the requesting portal reads; absent (an older portal): 1.
    result_versions: tuple[int, ...] = (1,)


@dataclass(frozen=True)
class RunResult:
    """A grader's answer to one RunRequest: what happened, never a verdict or a score."""

    schema_version: int  # RUN_RESULT_VERSION, or the older one its portal reads
    run_id: str  # the request's run_id
    tenant_id: str  # the request's tenant_id
    lab_id: str  # the request's lab_id
    outcome: str  # one of RUN_OUTCOMES
    message: str  # one plain sentence saying how the run ended
    output: Output  # what the code printed
    # The main measurements, in display order: name -> {"label", "value", "unit", "text"}
    # (text is the value as the student reads it, e.g. "12 ms"); the portal shows label
    # and text and never interprets the number.
    measurements: dict[str, Any] = field(default_factory=dict)
    times: PhaseTimes = PhaseTimes("", "", "", "")  # phase timestamps
