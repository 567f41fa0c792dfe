"""The contract between the portal and the graders: messages, codec, queue names, schemas.

Stdlib only, so that both sides can depend on it without pulling in each other's world.
"""

from contract.codec import MessageError, decode, encode
from contract.messages import (
    RUN_OUTCOMES,
    SCHEMA_VERSION,
    SUPPORTED_VERSIONS,
    VERDICTS,
    AchievementEvent,
    CheckResult,
    GradeRequest,
    GradeResult,
    Limits,
    Output,
    PhaseTimes,
    RunRequest,
    RunResult,
    SubmittedFile,
)
from contract.queues import (
    GRADE_JOB,
    GRADER_QUEUES,
    GRADING_QUEUE,
    RECORD_RESULT_JOB,
    RECORD_RUN_JOB,
    REGRADING_META,
    REMEASURING_META,
    RESULTS_QUEUE,
    RUN_JOB,
    grade_job_id,
    result_job_id,
    run_job_id,
    run_result_job_id,
    waiting_key,
)
from contract.schemas import load_schema

__all__ = [
    "GRADE_JOB",
    "GRADER_QUEUES",
    "GRADING_QUEUE",
    "RECORD_RESULT_JOB",
    "RECORD_RUN_JOB",
    "REGRADING_META",
    "REMEASURING_META",
    "RESULTS_QUEUE",
    "RUN_JOB",
    "RUN_OUTCOMES",
    "SCHEMA_VERSION",
    "SUPPORTED_VERSIONS",
    "VERDICTS",
    "AchievementEvent",
    "CheckResult",
    "GradeRequest",
    "GradeResult",
    "Limits",
    "MessageError",
    "Output",
    "PhaseTimes",
    "RunRequest",
    "RunResult",
    "SubmittedFile",
    "decode",
    "encode",
    "grade_job_id",
    "load_schema",
    "result_job_id",
    "run_job_id",
    "run_result_job_id",
    "waiting_key",
]
