"""Thread Lab: import worker_threads, check for the main thread, start a worker, message it.

Static checks read the parsed source; run-time checks read what the harness's hooks saw
(a Worker came online, a message really crossed between the threads, in either
direction). A program that reached the goal but was kept alive by a message listener
is stopped by the harness and still counts as a clean run.
"""

from __future__ import annotations

from typing import Any

from contract import CheckResult, Limits
from grader.adapters.node.javascript import SourceFacts
from grader.adapters.node.labs.run_measurements import thread_lab_run_measurements
from grader.lab_kind import NOT_RUN, LabKind
from grader.numbers import duration_text, number_at
from grader.report import HarnessReport


def judge_thread_lab(
    facts: SourceFacts, report: HarnessReport | None, config: dict[str, Any]
) -> list[CheckResult]:
    """The Thread Lab's checks, in the order the mission states them.

    Each static check that has a run-time counterpart holds when either the parsed source
    or the hooks show it: run-time evidence outranks the static reading, so code the parser
    cannot see (a worker built from a string with `eval: true`, a `data:` URL worker) is not
    failed for what the hooks saw happen. services/sandbox-image/labs/thread-lab/README.md
    states which evidence decides each check.
    """
    seen = report.details.observations if report is not None else None
    created_at_run_time = bool(seen) and seen["workers_created"] > 0
    crossed_at_run_time = bool(seen) and seen["messages_to_main"] + seen["messages_to_worker"] > 0
    return [
        _imports_worker_threads(facts, created_at_run_time),
        _checks_main_thread(facts),
        _creates_worker(facts, created_at_run_time),
        _sends_message(facts, crossed_at_run_time),
        *_run_time_checks(report, sends="postMessage" in facts.called_methods),
    ]


def _imports_worker_threads(facts: SourceFacts, created_at_run_time: bool) -> CheckResult:
    if facts.imports("worker_threads"):
        return CheckResult("imports_worker_threads", True, "You load the `worker_threads` module.")
    if created_at_run_time:
        # A Worker exists only through worker_threads: the hooks saw one constructed.
        return CheckResult(
            "imports_worker_threads",
            True,
            "Your code loaded `worker_threads`: a Worker was constructed when it ran.",
        )
    return CheckResult(
        "imports_worker_threads",
        False,
        "Load the module first: `require('worker_threads')` or "
        "`import ... from 'node:worker_threads'`.",
    )


def _checks_main_thread(facts: SourceFacts) -> CheckResult:
    # Reading a boolean leaves no trace at run time: only the parsed source can tell.
    if "isMainThread" in facts.read_names:
        return CheckResult("checks_main_thread", True, "You branch on `isMainThread`.")
    return CheckResult(
        "checks_main_thread",
        False,
        "Read `isMainThread` to tell the main thread from the worker "
        "(a mention in a comment or a string does not count).",
    )


def _creates_worker(facts: SourceFacts, created_at_run_time: bool) -> CheckResult:
    if "Worker" in facts.constructed:
        return CheckResult("creates_worker", True, "You construct a `new Worker(...)`.")
    if created_at_run_time:
        return CheckResult("creates_worker", True, "Your code constructed a Worker when it ran.")
    return CheckResult("creates_worker", False, "Create a worker with `new Worker(...)`.")


def _sends_message(facts: SourceFacts, crossed_at_run_time: bool) -> CheckResult:
    if crossed_at_run_time and "postMessage" not in facts.called_methods:
        return CheckResult(
            "sends_message",
            True,
            "Your code sent a message: one really crossed between the threads when it ran "
            "(its postMessage call is in code the grader runs but does not parse, such as a "
            "worker built from a string).",
        )
    if "postMessage" in facts.called_methods:
        return CheckResult("sends_message", True, "You call `postMessage(...)`.")
    return CheckResult(
        "sends_message",
        False,
        "Send a message with `postMessage(...)`, from the worker or to it "
        "(a call in a comment, or in a string that never runs, does not count).",
    )


def _run_time_checks(report: HarnessReport | None, sends: bool) -> list[CheckResult]:
    if report is None:
        return [
            CheckResult("worker_started", False, NOT_RUN),
            CheckResult("message_crossed", False, NOT_RUN),
        ]
    seen = report.details.observations
    online = seen["workers_online"] > 0
    created = seen["workers_created"] > 0
    crossed = seen["messages_to_main"] + seen["messages_to_worker"] > 0
    if online:
        started_text = "A worker thread really started."
    elif created:
        started_text = (
            "You constructed a Worker but it never came online: check the file it runs, "
            "and do not exit before it starts."
        )
    else:
        started_text = "No Worker was started when your code ran."
    if crossed:
        crossed_text = _crossed_text(seen)
    elif report.exit_code == 0 and created and sends:
        crossed_text = (
            "No message arrived: your program exited before the message crossed between "
            "the threads. Let the event loop run (do not call process.exit right after "
            "postMessage), and let the other thread receive it: a 'message' your own code "
            "emits on the Worker does not count."
        )
    else:
        crossed_text = (
            "No message crossed between the threads: post one with postMessage and "
            "listen for it with on('message')."
        )
    return [
        CheckResult("worker_started", online, started_text),
        CheckResult("message_crossed", crossed, crossed_text),
    ]


def _crossed_text(seen: dict[str, int]) -> str:
    directions = []
    if seen["messages_to_main"]:
        directions.append(f"{seen['messages_to_main']} from the worker to the main thread")
    if seen["messages_to_worker"]:
        directions.append(f"{seen['messages_to_worker']} from the main thread to the worker")
    return "Messages really crossed: " + " and ".join(directions) + "."


def explain_thread_lab(
    verdict: str, measurements: dict[str, Any], checks: list[CheckResult]
) -> list[str]:
    """On a pass, what crossed; and the main thread's event-loop delay while workers ran."""
    lines = []
    if verdict == "passed":
        lines.extend(check.message for check in checks if check.name == "message_crossed")
        lines.append("Your worker thread ran beside the main thread, and they talked.")
    if verdict in ("passed", "failed"):
        lines.extend(_loop_delay_sentence(measurements.get("loop_delay_while_workers_ran")))
    return lines


def _loop_delay_sentence(delay: Any) -> list[str]:
    longest = number_at(delay, "max_ms")
    p99 = number_at(delay, "p99_ms")
    window = number_at(delay, "window_ms")
    if not number_at(delay, "samples") or longest is None or p99 is None or window is None:
        return []
    return [
        f"While your worker ran ({duration_text(window)}), the main thread's longest "
        f"event-loop stall was {duration_text(longest)} (p99 {duration_text(p99)})."
    ]


THREAD_LAB = LabKind(
    name="thread-lab",
    default_limits=Limits(
        wall_seconds=5.0, memory_mib=256, cpus=1.0, pids=64, output_bytes=1024 * 1024
    ),
    goal="message_crossed",
    stop_after_goal_ms=500,
    judge=judge_thread_lab,
    explain=explain_thread_lab,
    run_measurements=thread_lab_run_measurements,
)
