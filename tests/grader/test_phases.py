"""Each phase of a grading is timed, so a bench can say where the time goes.

A fake clock drives the bookkeeping; the pipeline and the sandbox runner are checked
against a scripted Engine. The durations themselves are never asserted against a budget.
"""

import pytest

from contract import GradeResult, MessageError, decode, encode
from grader import phases
from grader.pipeline import grade_request
from grader.sandbox import SandboxRun, run_in_sandbox
from tests.grader.test_pipeline import failing_engine, report, request
from tests.grader.test_sandbox import JOB, FakeEngine

SANDBOX_PHASES = {"create", "copy", "start", "run", "logs", "inspect", "remove"}


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


def test_each_lap_counts_the_time_since_the_previous_one():
    clock = FakeClock()
    laps = phases.PhaseClock(clock)
    clock.advance(0.002)
    laps.lap("create")
    clock.advance(0.0305)
    laps.lap("start")

    assert laps.laps() == {"create": 2.0, "start": 30.5}


def test_a_phase_that_happens_again_adds_up_and_skipped_time_is_nobodys():
    clock = FakeClock()
    laps = phases.PhaseClock(clock)
    clock.advance(0.010)
    laps.lap("judge")
    clock.advance(5.0)  # a sandbox run, timed by the sandbox's own clock
    laps.skip()
    laps.add({"create": 7.0})
    clock.advance(0.004)
    laps.lap("judge")
    laps.add({"create": 3.0})

    assert laps.laps() == {"judge": 14.0, "create": 10.0}


def test_the_run_splits_into_the_harness_and_the_students_code():
    split = phases.split_run({"create": 5.0, "run": 300.0}, 120.0)
    assert split == {"create": 5.0, "harness": 180.0, "student_run": 120.0}
    # No report: the run is all there is to say.
    assert phases.split_run({"run": 300.0}, None) == {"run": 300.0}
    # A report claiming more than the run took cannot make the harness's part negative.
    assert phases.split_run({"run": 300.0}, 900.0) == {"harness": 0.0, "student_run": 300.0}


def test_a_sandbox_run_times_each_step_it_takes():
    run = run_in_sandbox(FakeEngine(), "img", JOB)
    assert set(run.phases_ms) == SANDBOX_PHASES
    assert all(ms >= 0 for ms in run.phases_ms.values())


def test_a_grading_carries_every_phase_from_preparing_to_judging():
    def timed_run(job):
        laps = dict.fromkeys(SANDBOX_PHASES, 10.0) | {"run": 200.0}
        return SandboxRun(0, report(wall_ms=80.0), False, False, "t", phases_ms=laps)

    result = grade_request(request(), timed_run)

    assert result.verdict == "passed"
    assert set(result.phases_ms) == (SANDBOX_PHASES - {"run"}) | {
        "prepare",
        "cpu_slot",
        "harness",
        "student_run",
        "judge",
    }
    assert (result.phases_ms["harness"], result.phases_ms["student_run"]) == (120.0, 80.0)
    assert result.phases_ms["create"] == 10.0


def test_an_engine_failure_is_timed_too():
    result = grade_request(request(), failing_engine)
    assert result.verdict == "infra_error"
    assert {"prepare", "failed_run", "judge"} <= set(result.phases_ms)


def test_the_phases_cross_the_queue_and_a_non_number_is_refused():
    result = grade_request(request(), lambda job: SandboxRun(0, report(), False, False, "t"))
    wire = encode(result)
    assert decode(GradeResult, wire).phases_ms == result.phases_ms
    # An older grader sends none: still a valid result.
    assert decode(GradeResult, {k: v for k, v in wire.items() if k != "phases_ms"}).phases_ms == {}
    with pytest.raises(MessageError, match="phases_ms.judge"):
        decode(GradeResult, wire | {"phases_ms": {"judge": "slow"}})
