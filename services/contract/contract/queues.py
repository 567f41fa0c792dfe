"""Queue names, job names and job ids: the only strings both sides must agree on.

Jobs are referred to by dotted names so that the portal never imports a grader and a
grader never imports the portal; payloads cross as JSON (RQ's JSONSerializer).
"""

# The queue a grader consumes by default (the Node.js grader's). Which grader listens on which
# queue is configuration: GRADER_QUEUE on a grader, GRADER_QUEUES on the portal.
GRADING_QUEUE = "grading"
RESULTS_QUEUE = "grading-results"  # GradeResults for the portal's web-worker

GRADE_JOB = "grader.jobs.grade"  # takes one encoded GradeRequest
RECORD_RESULT_JOB = "portal.jobs.record_result"  # takes one encoded GradeResult
# "Run": the student's code once, ungraded, on the lab's grading queue (the same workers).
RUN_JOB = "grader.jobs.run"  # takes one encoded RunRequest
RECORD_RUN_JOB = "portal.jobs.record_run"  # takes one encoded RunResult, on RESULTS_QUEUE

# Set (true) in a grading job's meta while RQ waits to retry it because its measurements
# were inconclusive: the portal tells the student it is measuring again.
REMEASURING_META = "remeasuring"
# Set (to how many times) in a grading job's meta when a grader died while grading it and
# a live grader put it back on the queue: the portal says it is being graded again.
REGRADING_META = "regrading"
# Set (true) in a grading job's meta while RQ waits to retry it because the sandbox could not
# run (infra_error: the Docker Engine unreachable, the image missing): the portal says it is
# being graded again, which does not count as an attempt.
INFRA_RETRY_META = "infra_retry"


def waiting_key(queue_name: str) -> str:
    """A hash, per school (tenant id: count), of the submissions waiting in the portal's
    database for their school's place on `queue_name` (portal.labs.fairness): demand the
    queue's own length does not show, for whoever scales the graders."""
    return f"grading:waiting:{queue_name}"


def grade_job_id(submission_id: str) -> str:
    """The job id of a submission's grading: a double click enqueues nothing twice."""
    return f"submission-{submission_id}"


def result_job_id(submission_id: str) -> str:
    """The job id of a submission's result, so a re-published result is not queued twice."""
    return f"result-{submission_id}"


def run_job_id(run_id: str) -> str:
    """The job id of a run: a double click enqueues nothing twice."""
    return f"run-{run_id}"


def run_result_job_id(run_id: str) -> str:
    """The job id of a run's result, so a re-published result is not queued twice."""
    return f"run-result-{run_id}"
