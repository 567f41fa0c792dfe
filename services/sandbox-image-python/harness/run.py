"""The Python sandbox container's entry point (ENTRYPOINT python3 ... /opt/harness/run.py).

It runs one student submission as the grader described it (its job, on stdin or in /work:
job_input.py) and prints one HARNESS-REPORT line. It only observes; the grader judges.
Whatever happens, including a bug in here, the last line of stdout is a report and the exit
code is 0, so the grader can tell "the student's code failed" from "the harness failed". The
report is printed only after every student process is gone, so no student line can follow it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import Any

from cgroup import cpu_stat_delta, read_cgroup, read_cpu_stat, with_job_limits
from diagnostics import find_error_line, out_of_memory
from job import Job
from job_input import take_job_input
from labs import channel_key, driver_arguments, find_lab, lab_measurements
from output import HeadTailCapture
from reaper import wait_until_alone
from report import build_report, harness_error_report, print_report
from student import run_student
from syntax import SyntaxCheck, check_syntax

WORK_DIR = "/work"  # where a plain `docker run` mounts the job (job_input.py)
SUBMISSION_DIR = "/tmp/submission"
# Exactly what the student's program sees: no variable of the image or the grader leaks in.
STUDENT_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}
# How long to wait for the student's last processes to be reaped before printing anyway.
REAP_TIMEOUT_SECONDS = 2.0
PR_SET_DUMPABLE = 4  # <linux/prctl.h>


def main() -> None:
    """Run the job and print its report; never raise, always exit 0."""
    # Student code runs with our uid and may send us SIGINT (a KeyboardInterrupt here would
    # end the harness without a report). A handler, not SIG_IGN, so the child does not
    # inherit it: handlers are reset on exec, an ignored signal stays ignored.
    signal.signal(signal.SIGINT, lambda _signum, _frame: None)
    refuse_tracing()
    lab_kind = "unknown"
    try:
        job = take_job_input(WORK_DIR, SUBMISSION_DIR)
        lab_kind = job.lab_kind
        report = grade_run(job)
    except Exception as error:  # any failure of ours becomes a report, never a traceback
        report = harness_error_report(error, lab_kind=lab_kind)
    finish(report)


def refuse_tracing() -> None:
    """Make the harness non-dumpable, so that its student cannot trace it or rewrite it.

    The student's code runs with our uid, and the kernel lets a process of the same uid
    ptrace another, write its memory through /proc/<pid>/mem and open its descriptors
    through /proc/<pid>/fd: enough to stop the harness or rewrite its report. A process
    that is not dumpable keeps all three to holders of CAP_SYS_PTRACE, which nobody in the
    container has. Signals still reach us (the grader judges a harness killed by its
    student); the student's program, a fresh exec, is dumpable again as usual.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def grade_run(job: Job) -> dict[str, Any]:
    """Check the entry's syntax, run it, and describe what happened."""
    entry_path = os.path.join(SUBMISSION_DIR, job.entrypoint)
    syntax = check_syntax(entry_path)
    if syntax is not None:
        return syntax_error_report(job, syntax)
    # A driven lab runs its driver, which imports the entry as a module (labs.py).
    lab = find_lab(job.lab_kind, job.check_config, job.wall_seconds, job.limits)
    channel = key = None
    arguments, passed_fds = [entry_path], ()
    if lab is not None:
        channel = os.pipe()
        key, key_fd = channel_key()  # signs the channel's lines (labs.py)
        arguments = driver_arguments(lab, entry_path, channel[1], key_fd)
        passed_fds = (key_fd,)
    stat_before = read_cpu_stat()
    run = run_student(
        arguments,
        cwd=SUBMISSION_DIR,
        env=dict(STUDENT_ENV),
        wall_seconds=job.wall_seconds,
        output_bytes=job.output_bytes,
        channel=channel,
        passed_fds=passed_fds,
        pids=(job.limits or {}).get("pids"),
    )
    throttling = cpu_stat_delta(stat_before, read_cpu_stat())
    cgroup = with_job_limits(read_cgroup(), job.limits)
    error_line = find_error_line(run.stderr_text)
    if out_of_memory(error_line):
        cgroup["oom_kills"] = max(cgroup["oom_kills"] or 0, 1)
    measurements = {"cpu_quota_cpus": cgroup["cpu_quota_cpus"], "throttling": throttling}
    if lab is not None:
        measurements = lab_measurements(lab, run.channel, key, measurements)
    return build_report(
        lab_kind=job.lab_kind,
        status=run.status,
        exit_code=run.exit_code,
        signal=run.signal,
        wall_ms=run.wall_ms,
        error_line=error_line,
        output=run.output,
        cgroup=cgroup,
        tasks_at_stop=run.tasks_at_stop,
        measurements=measurements,
    )


def syntax_error_report(job: Job, syntax: SyntaxCheck) -> dict[str, Any]:
    """The entry did not compile: report where and why, and do not run it.

    exit_code 1 is what `python3 main.py` exits with on a syntax error.
    """
    output = HeadTailCapture()
    output.push(syntax.text.encode("utf-8", "replace"))
    return build_report(
        lab_kind=job.lab_kind,
        exit_code=1,
        syntax_error=syntax.problem,
        error_line=syntax.problem["message"],
        output=output.snapshot(),
        cgroup=with_job_limits(read_cgroup(), job.limits),
    )


def finish(report: dict[str, Any]) -> None:
    """Print the report once every student process is gone, and exit 0."""
    try:
        wait_until_alone(REAP_TIMEOUT_SECONDS)
    finally:
        print_report(report)
        sys.stdout.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
