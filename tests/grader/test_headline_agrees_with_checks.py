"""A.D.A.'s headline, the score and the chart agree with the checks, in every lab and verdict.

Every lab kind is graded through `grade_request` with a scripted harness report for each
verdict a student can get. Which checks hold is forced on the lab's real checks (their
real names, order and messages), so this test is about agreement, not about the judges'
thresholds (tests/grader/test_measured_labs.py tests those): the headline counts the checks
the student sees, the score is made of the same checks, and each chart bar a check judged
carries that check's outcome (the portal colours the bar from it).
"""

from __future__ import annotations

import dataclasses
import json
import re
from functools import cache
from pathlib import Path

import pytest

import contract
from contract import SCHEMA_VERSION, GradeRequest, SubmittedFile
from grader import pipeline
from grader.adapters.node import ADAPTER as NODE
from grader.adapters.node.labs.kinds import lab_kind, lab_kinds
from grader.feedback import OPENINGS
from grader.host_usage import HostUsage
from grader.lab_kind import outcome_of
from grader.sandbox import InfrastructureError, SandboxRun
from portal.catalogue.loader import load_catalogue
from portal.labs.status import VERDICT_LABELS

LABS = tuple(lab_kinds())
CONTENT = Path(__file__).resolve().parents[2] / "content"
# How the forced checks come out; None: as the lab's judge said (a run-level verdict).
OUTCOMES = ("all_hold", "bonus_missed", "required_missed", "missed_and_noisy", "inconclusive", None)
SCENARIOS = {
    "passed_full": ("all_hold", {}),
    "passed_partial": ("bonus_missed", {}),
    "failed": ("required_missed", {}),
    "failed_and_noisy": ("missed_and_noisy", {}),
    "error": (None, {"exit_code": 1, "error_line": "ReferenceError: x is not defined"}),
    "timeout": (None, {"status": "timeout", "exit_code": None, "signal": "SIGKILL"}),
    "memory_exceeded": (None, {"cgroup": {"oom_kills": 1}, "exit_code": None}),
    # A fork bomb spun at the pids limit to the wall time; the host counted refused forks.
    "process_limit_exceeded": (
        None,
        {"status": "timeout", "exit_code": None, "signal": "SIGKILL", "forks_refused": 40},
    ),
    "output_limit": (None, {"status": "output_limit", "exit_code": None}),
    "infra_error": (None, {"status": "harness_error", "harness_error": "x"}),
    "inconclusive": ("inconclusive", {}),
}
EXPECTED_VERDICT = {
    "passed_full": "passed",
    "passed_partial": "passed",
    "failed_and_noisy": "failed",  # a check that surely failed decides; the noisy one never
}
CODE = (
    "const { Worker, isMainThread, parentPort } = require('worker_threads');\n"
    "if (isMainThread) new Worker(__filename).on('message', console.log);\n"
    "else parentPort.postMessage('hi');\n"
    "module.exports = { solve() {}, countErrors() {} };\n"
)


def spread(median):
    return {"median": median, "min": median * 0.9, "max": median * 1.1}


def stall_variant(workers, stall):
    return {"workers": workers, "runs": 3, "correct": True, "loop_delay_p99_ms": spread(stall)}


MEASUREMENTS = {
    "thread-lab": {
        "loop_delay_while_workers_ran": {
            "p50_ms": 0.2,
            "p99_ms": 1.3,
            "max_ms": 2.5,
            "samples": 8,
            "window_ms": 81,
        }
    },
    "unblock-the-loop": {
        "workers": 2,
        "problem": None,
        "variants": {
            "blocking": stall_variant(0, 590),
            "one_worker": stall_variant(1, 0.7),
            "n_workers": stall_variant(2, 1.1),
        },
        "speedup": {**spread(1.16), "ideal": 2, "efficiency": 0.58},
    },
    "spawn-vs-exec": {"problem": None, "memory_ratio": 0.14, "time_ratio": 0.8},
}


def report(lab, **changes):
    data = {
        "harness_version": 1,
        "lab_kind": lab,
        "status": "exited",
        "exit_code": 0,
        "signal": None,
        "wall_ms": 900.0,
        "syntax_error": None,
        "error_line": None,
        "observations": {
            "workers_created": 1,
            "workers_online": 1,
            "messages_to_main": 1,
            "messages_to_worker": 0,
        },
        "output": {"text": "", "truncated": False, "bytes_total": 0},
        "cgroup": {"oom_kills": 0, "cpu_quota_cpus": 2},
        "harness_error": None,
        "measurements": MEASUREMENTS[lab],
    }
    data.update(changes)
    return b"HARNESS-REPORT " + json.dumps(data).encode() + b"\n"


def forced(kind, outcome):
    """`kind` whose judge keeps its real checks but makes them come out as `outcome`."""
    if outcome is None:
        return kind

    def judge(facts, harness_report, config):
        checks = kind.judge(facts, harness_report, config)
        if harness_report is None:
            return checks
        required = [check.name for check in kind.required(checks)]
        bonus = [check.name for check in checks if check.name not in required]
        if outcome == "all_hold":
            held, unsure = {check.name for check in checks}, set()
        elif outcome == "bonus_missed":
            held, unsure = set(required), set()
        elif outcome == "required_missed":
            held, unsure = set(required[1:]) | set(bonus[1:]), set()
        elif outcome == "missed_and_noisy":
            unsure = {checks[-1].name}
            held = {check.name for check in checks[1:]} - unsure
        else:  # inconclusive: the last measured check, everything else holds
            unsure = {checks[-1].name}
            held = {check.name for check in checks} - unsure
        return [
            dataclasses.replace(check, passed=check.name in held, inconclusive=check.name in unsure)
            for check in checks
        ]

    return dataclasses.replace(kind, judge=judge)


def scenarios():
    for lab in LABS:
        for scenario in SCENARIOS:
            if scenario == "passed_partial" and not lab_kind(lab).bonus_checks:
                continue  # no bonus checks: no partial marks (asserted below)
            yield pytest.param(lab, scenario, id=f"{lab}-{scenario}")


def grade(lab, scenario, monkeypatch, outer_timeout=False):
    """Grade `lab` on the scenario's scripted report; `outer_timeout`: the grader had to kill
    the container (the harness left no report)."""
    outcome, changes = SCENARIOS[scenario]
    kind = forced(lab_kind(lab), outcome)
    monkeypatch.setitem(NODE.lab_kinds, kind.name, kind)
    request = GradeRequest(
        schema_version=SCHEMA_VERSION,
        submission_id="5",
        tenant_id="1",
        lab_id=lab,
        lab_kind=lab,
        files=(SubmittedFile("main.js", CODE),),
        entrypoint="main.js",
        limits=kind.default_limits,
    )
    reported = {name: value for name, value in changes.items() if name != "forks_refused"}
    stdout = b"" if outer_timeout else report(lab, **reported)
    exit_code = None if outer_timeout else 0
    usage = HostUsage(forks_refused=changes.get("forks_refused", 0))
    return kind, pipeline.grade_request(
        request,
        lambda job: SandboxRun(exit_code, stdout, False, outer_timeout, "t", usage=usage),
    )


def headline(result):
    return result.feedback.splitlines()[0]


def expected_score(kind, verdict, checks):
    """The score from the checks alone: the rule the lab's README states."""
    required = kind.required(checks)
    bonus = [check for check in checks if check not in required]
    if verdict == "passed":
        held = sum(check.passed for check in bonus) / len(bonus) if bonus else 1.0
        return round(kind.pass_score + (1 - kind.pass_score) * held, 2)
    if verdict in ("infra_error", "timeout", "process_limit_exceeded") or not checks:
        return 0.0  # a run that never ended earns nothing for the checks that held
    share = min(sum(check.passed for check in required) / len(required), 0.99)
    return round(round(share, 2) * kind.pass_score, 2)


@pytest.mark.parametrize(("lab", "scenario"), list(scenarios()))
def test_headline_score_and_chart_agree_with_the_checks(lab, scenario, monkeypatch):
    kind, result = grade(lab, scenario, monkeypatch)
    checks = list(result.checks)
    verdict = result.verdict
    assert verdict == EXPECTED_VERDICT.get(scenario, scenario), result.feedback
    assert headline(result).startswith(f"{OPENINGS[verdict]} ")
    assert verdict in VERDICT_LABELS
    contract.encode(result)  # still a valid message

    # The score is made of the checks the student sees.
    assert result.score == expected_score(kind, verdict, checks)
    assert (result.score == 1.0) == (verdict == "passed" and all(c.passed for c in checks))

    assert_headline_counts_the_checks(kind, result, checks)
    assert_chart_outcomes_come_from_the_checks(kind, result, checks)
    # Students read each check under the title the lab's content gives it, never its name.
    titles = node_lab_titles()[lab]
    assert [c.name for c in checks if c.name not in titles] == [], f"no title in content: {lab}"


@cache
def node_lab_titles() -> dict[str, dict[str, str]]:
    """The check titles of the Node course's labs (whose ids are their kinds' names)."""
    course = load_catalogue(CONTENT).course("node-workers")
    return {lab.kind: dict(lab.check_titles) for lab in course.labs}


def assert_headline_counts_the_checks(kind, result, checks):
    line = headline(result)
    required = kind.required(checks)
    missed = [check for check in checks if not check.passed and not check.inconclusive]
    if result.verdict == "passed" and not missed:
        assert line.endswith(f" All {len(checks)} checks hold.")
    elif result.verdict == "passed":
        bonus = [check for check in checks if check not in required]
        names = ", ".join(check.name for check in missed)
        assert f"Passed with {round(result.score * 100)}%: " in line
        assert f"the {len(required)} required checks hold;" in line
        counted = f"{len(missed)} of {len(bonus)}" if len(missed) < len(bonus) else len(missed)
        assert f" {counted} bonus check" in line and f" did not: {names}." in line
        assert len(required) + len(bonus) == len(checks)
        assert f"For full marks: {missed[0].message}" in result.feedback
    elif result.verdict == "failed":
        missed_required = [check for check in missed if check in required]
        if len(required) == len(checks):
            assert f" {len(missed)} of {len(checks)} checks did not hold." in line
        else:
            assert f" {len(missed_required)} of the {len(required)} required checks" in line
            assert f"({len(missed)} of all {len(checks)} checks did not)" in line
        assert f"Start here: {missed[0].message}" in result.feedback
        unsure = sum(check.inconclusive for check in checks)
        assert ("could not be judged" in line) == bool(unsure)
        if unsure:
            assert f" {unsure} check" in line
    else:
        # The other verdicts name their cause, never a count of checks that could disagree.
        assert not re.search(r"\d+ (of|required|checks)", line), line
    if result.verdict == "inconclusive":
        unsure = [check.name for check in checks if check.inconclusive]
        assert unsure and all(name in line for name in unsure)
        assert not result.gradable


def assert_chart_outcomes_come_from_the_checks(kind, result, checks):
    judged = result.measurements.get("judged", {})
    by_name = {check.name: check for check in checks}
    # Every judged quantity whose check ran is reported, with that check's outcome.
    expected = {
        quantity: {"check": name, "outcome": outcome_of(by_name[name])}
        for quantity, name in kind.judged_quantities
        if name in by_name
    }
    assert judged == expected
    if not result.charts:
        return
    bars = [bar for chart in result.charts for bar in chart.bars]
    for bar in bars:
        if bar.check:
            assert bar.outcome == outcome_of(by_name[bar.check]), bar
        else:
            # No check judged it: it must not look held or not held.
            assert bar.outcome == "", bar
    judged_bars = sorted(bar.check for bar in bars if bar.check)
    assert judged_bars == sorted(entry["check"] for entry in judged.values())


def test_every_verdict_of_every_lab_is_walked():
    # A new lab kind is walked too, once it has scripted measurements here.
    assert set(LABS) == set(MEASUREMENTS)
    walked = {EXPECTED_VERDICT.get(scenario, scenario) for scenario in SCENARIOS}
    assert walked == set(contract.VERDICTS)
    assert set(OUTCOMES) == {outcome for outcome, _ in SCENARIOS.values()}


@pytest.mark.parametrize("lab", [lab for lab in LABS if not lab_kind(lab).bonus_checks])
def test_a_lab_without_bonus_checks_scores_a_pass_in_full(lab, monkeypatch):
    _, result = grade(lab, "passed_full", monkeypatch)
    assert (result.verdict, result.score) == ("passed", 1.0)


def test_the_reported_one_worker_case_reads_as_partial_marks(monkeypatch):
    """Issue 10's case: a pass at 60% with two bonus checks red and a speedup of 1.16x."""
    kind, result = grade("unblock-the-loop", "passed_partial", monkeypatch)
    line = headline(result)
    assert line.startswith("Simulation complete. Passed with 60%: the 6 required")
    assert line.endswith("; 2 bonus checks did not: splits_over_workers, speeds_up.")
    assert result.score == 0.6
    [measured] = result.charts[1].bars
    assert (measured.text, measured.check, measured.outcome) == (
        "1.16x",
        "speeds_up",
        "did_not_hold",
    )


def test_an_infrastructure_failure_shows_no_checks_and_no_judgement(monkeypatch):
    kind = lab_kind("unblock-the-loop")

    def broken(job):
        raise InfrastructureError("daemon down")

    request = GradeRequest(
        schema_version=SCHEMA_VERSION,
        submission_id="6",
        tenant_id="1",
        lab_id=kind.name,
        lab_kind=kind.name,
        files=(SubmittedFile("main.js", CODE),),
        entrypoint="main.js",
        limits=kind.default_limits,
    )
    result = pipeline.grade_request(request, broken)
    assert (result.verdict, result.score, result.checks) == ("infra_error", 0.0, ())
    assert (result.findings, result.diagnoses, result.charts) == ((), (), ())


@pytest.mark.parametrize("outer_timeout", [False, True], ids=["harness_stopped", "grader_stopped"])
@pytest.mark.parametrize("lab", LABS)
def test_start_here_points_at_a_run_that_never_ended_before_the_labs_own_checks(
    lab, outer_timeout, monkeypatch
):
    kind, result = grade(lab, "timeout", monkeypatch, outer_timeout=outer_timeout)
    # Issue 14: an endless loop scored 12% (for `parses` and the static checks that held).
    assert (result.verdict, result.score) == ("timeout", 0.0)
    assert result.checks[0].name == "parses" and result.checks[0].passed
    seconds = kind.default_limits.wall_seconds
    assert headline(result).startswith(
        f"Your program ran out of time. Stopped after {seconds:.1f} s"
    )
    # Listed last (after the lab's own checks, some of which fail too), yet fixed first.
    assert result.checks[-1].name == "exits_cleanly" and not result.checks[-1].passed
    start_here = [line for line in result.feedback.splitlines() if line.startswith("Start here")]
    assert start_here == [
        "Start here: Your program was stopped at the time limit before it ended: look for a "
        "loop that never ends, or for work that waits for something that never comes."
    ]
