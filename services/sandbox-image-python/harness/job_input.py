"""Where the grader's job and the student's files come from: stdin, or /work.

The grader streams them on the container's stdin, one JSON document
{"job": {...}, "files": {"main.py": "..."}}, cheaper than copying them into a volume before
the start (no host path is shared, so it works with a remote Engine too). The harness reads
it to its end, once non-dumpable, before any student code runs, and the student's
processes get no stdin of ours; only the files are written, to /tmp/submission. With
nothing on stdin (a plain `docker run` with /work mounted, as the sandbox tests and the
grading bench's baseline run it), they are read from /work as before. A port of the Node
harness's job_input.js.
"""

from __future__ import annotations

import json
import os
import sys

from job import Job, JobError, check_job, read_job
from submission import copy_submission, write_submission


def take_job_input(work_dir: str, target: str) -> Job:
    """The checked job; the student's files are in `target` when it returns."""
    streamed = sys.stdin.buffer.read() if sys.stdin is not None else b""
    if not streamed:
        job = read_job(os.path.join(work_dir, "job.json"))
        copy_submission(os.path.join(work_dir, "submission"), target)
        return job
    try:
        given = json.loads(streamed)
    except ValueError as error:
        raise JobError(f"cannot read the job on stdin: {error}") from error
    if not isinstance(given, dict) or not isinstance(given.get("files"), dict):
        raise JobError("the job on stdin has no job or no files")
    job = check_job(given.get("job"))
    write_submission(given["files"], target)
    return job
