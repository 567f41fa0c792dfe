"""Unblock the Loop's stopping rule against the grader's own judgement.

The driver stops repeating once the repetitions still to come could not change the grading
(services/sandbox-image/labs/unblock-the-loop/stopping-rule.js). These tests run that rule
and the harness's own summary (lab.js) in Node on made-up repetitions, and grade the
summaries with the real pipeline: whenever the rule says "decided" after two of three
repetitions, the verdict and the score of the two must be those of every third repetition
tried, ordinary or extreme. The figures straddle every line of the checks, so both answers
occur; no timing is involved.
"""

import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from grader import speedup
from grader.adapters.node.labs import unblock_the_loop as judge
from tests.conftest import require
from tests.grader.test_measured_labs import grade, report

LAB_DIR = Path(__file__).resolve().parents[2] / "services/sandbox-image/labs/unblock-the-loop"
VARIANTS = ("blocking", "one_worker", "n_workers", "reference_workers")
# Node reads the cases on stdin and answers, per case, the rule's answers after the runs
# timed and the harness's summaries: of those runs, of each completion, and of each
# completion with only the variants the rule still needs.
RUN_CASES = f"""
const {{ decided, variantsNeeded }} = require({json.dumps(str(LAB_DIR / "stopping-rule.js"))});
const {{ summarize }} = require({json.dumps(str(LAB_DIR / "lab.js"))});
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const summary = (runs, plan) => summarize({{
  facts: {{ workers: plan.workers, items: 100000, repeats: new Set(runs.map((r) => r.repeat)).size,
           problem: null, thread_cpu_precision_ms: plan.tickMs }},
  runs, cpuQuotaCpus: plan.cpuQuotaCpus,
}});
process.stdout.write(JSON.stringify(cases.map((c) => {{
  const needed = variantsNeeded(c.timed, c.plan);
  const only = (more) => more.filter((run) => needed.includes(run.variant));
  return {{
    decided: decided(c.timed, c.plan),
    needed,
    now: summary(c.timed, c.plan),
    completions: c.completions.map((more) => summary([...c.timed, ...more], c.plan)),
    // The same repetitions to come, timing only the variants the rule still needs.
    needed_only: c.completions.map((more) => summary([...c.timed, ...only(more)], c.plan)),
  }};
}})));
"""


def node() -> str:
    found = shutil.which("node")
    require(found is not None, "Node.js is needed to run the driver's stopping rule")
    return str(found)


def run_cases(cases: list[dict]) -> list[dict]:
    done = subprocess.run(
        [node(), "-e", RUN_CASES], input=json.dumps(cases).encode(), capture_output=True, check=True
    )
    return json.loads(done.stdout)


def repetition(rng: random.Random, repeat: int, kind: dict, scale: float = 1.0) -> list[dict]:
    """One repetition's four runs, around `kind`'s figures, with its noise."""

    def noisy(value: float) -> float:
        return max(0.0, value * rng.lognormvariate(0, kind["noise"]) * scale)

    job = noisy(450)
    blocking_wall = job * 1.02
    many_wall = blocking_wall / max(0.2, noisy(kind["speedup"]))
    reference_wall = blocking_wall / max(0.2, noisy(kind["reference_speedup"]))
    runs = {
        "blocking": thread_run(0, blocking_wall, job, job, blocking_wall - 8, 0, None, None),
        "one_worker": thread_run(
            1,
            noisy(job * 1.15),
            job * noisy(kind["one_main"]) + job * noisy(kind["one_work"]),
            job * noisy(kind["one_main"]),
            blocking_wall * noisy(kind["stall"]),
            1,
            0.97,
            1.0,
        ),
        "n_workers": thread_run(
            kind["workers"],
            many_wall,
            job * noisy(kind["many_main"]) + job * noisy(kind["many_work"]),
            job * noisy(kind["many_main"]),
            3.0,
            kind["busy"] if rng.random() > kind["busy_flake"] else kind["workers"],
            min(1.0, noisy(kind["share"])),
            noisy(kind["concurrency"]),
        ),
        "reference_workers": thread_run(
            kind["workers"], reference_wall, job * 1.08, job * noisy(0.05), 3.0, 2, 0.5, 1.8
        ),
    }
    wrong = kind["wrong_in"] == repeat
    return [
        {**run, "variant": name, "repeat": repeat, "correct": not (wrong and name == "n_workers")}
        for name, run in runs.items()
    ]


def thread_run(workers, wall, cpu, main, stall, busy, share, concurrency) -> dict:
    return {
        "workers": workers,
        "items": 100000,
        "wall_ms": round(wall, 1),
        "cpu_ms": round(cpu, 1),
        "event_loop_utilization": 1.0 if workers == 0 else 0.05,
        "p50_ms": 0.1,
        "p99_ms": round(stall, 1),
        "max_ms": round(stall, 1),
        "peak_workers": workers,
        "periods": 10,
        "throttled_periods": 0,
        "throttled_ms": 0,
        "main_thread_cpu_ms": round(main, 1),
        "worker_threads_cpu_ms": round(max(0.0, cpu - main), 1),
        "busy_threads": busy,
        "busiest_thread_share": share,
        "concurrency": None if concurrency is None else round(concurrency, 2),
        "thread_samples": 40,
        "error": None,
    }


def random_kind(rng: random.Random) -> dict:
    """A solution and a host: figures drawn on both sides of every line of the checks."""
    workers = rng.choice((2, 2, 2, 4))
    return {
        "workers": workers,
        "noise": rng.choice((0.01, 0.05, 0.15, 0.3)),
        "speedup": rng.uniform(0.8, 1.9),
        "reference_speedup": rng.uniform(0.8, 1.9),
        "one_main": rng.uniform(0.02, 0.5),
        "one_work": rng.uniform(0.3, 1.6),
        "many_main": rng.uniform(0.02, 0.6),
        "many_work": rng.uniform(0.3, 1.8),
        "stall": rng.choice((0.002, 0.01, 0.2, 0.3, 1.0)),
        "busy": rng.choice((1, workers, workers)),
        "busy_flake": rng.choice((0.0, 0.0, 0.5)),
        "share": rng.uniform(0.3, 0.95),
        "concurrency": rng.uniform(0.9, 2.0),
        "wrong_in": rng.choice((None,) * 9 + (0,)),
    }


def working_kind(rng: random.Random) -> dict:
    """A solution whose required checks hold clearly, on a host that may blur its speedup."""
    return random_kind(rng) | {
        "one_main": rng.uniform(0.02, 0.15),
        "one_work": rng.uniform(0.9, 1.5),
        "many_main": rng.uniform(0.02, 0.2),
        "many_work": rng.uniform(0.9, 1.5),
        "stall": 0.01,
        "wrong_in": None,
    }


def make_cases(
    count: int, seed: int, timed_reps: int = 2, asked: int = 3, kinds=random_kind
) -> list[dict]:
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        kind = kinds(rng)
        timed = [run for repeat in range(timed_reps) for run in repetition(rng, repeat, kind)]
        later = range(timed_reps, asked)
        completions = [
            [run for repeat in later for run in repetition(rng, repeat, kind)] for _ in range(2)
        ]
        # Extremes: the repetitions still to come far slower or faster in every figure.
        completions += [
            [run for repeat in later for run in repetition(rng, repeat, kind, scale)]
            for scale in (0.05, 20.0)
        ]
        for more in completions:
            for run in more:
                run["correct"] = True  # a later wrong answer is the rule's stated limit
        plan = {
            "workers": kind["workers"],
            "repeats": asked,
            "cpuQuotaCpus": rng.choice((2, 2, 1, None)),
            "tickMs": rng.choice((0, 0, 10)),
        }
        cases.append({"timed": timed, "completions": completions, "plan": plan})
    return cases


def graded(summary: dict, plan: dict) -> tuple[str, float]:
    measurements = {
        **summary,
        "cpu_quota_cpus": plan["cpuQuotaCpus"],
        "throttling": {"periods": 60, "throttled_periods": 0, "throttled_ms": 0},
    }
    result = grade("unblock-the-loop", report("unblock-the-loop", measurements))
    return result.verdict, result.score


@pytest.mark.parametrize(
    ("timed_reps", "asked", "count"),
    [(2, 3, 250), (3, 4, 80), (3, 5, 80)],
)
def test_a_decided_grading_is_the_one_every_later_repetition_would_give(timed_reps, asked, count):
    cases = make_cases(count, seed=16 + asked, timed_reps=timed_reps, asked=asked)
    answers = run_cases(cases)

    decided = changed_when_undecided = 0
    for case, answer in zip(cases, answers, strict=True):
        now = graded(answer["now"], case["plan"])
        later = {graded(summary, case["plan"]) for summary in answer["completions"]}
        if answer["decided"]:
            decided += 1
            assert later == {now}, (case["plan"], answer["now"])
        elif later != {now}:
            changed_when_undecided += 1
    # Both answers occur, and "not decided" was needed: later repetitions did change some.
    assert count * 0.1 <= decided <= count * 0.9
    assert changed_when_undecided >= count * 0.02


@pytest.mark.parametrize(("timed_reps", "asked", "count"), [(2, 3, 200), (3, 5, 80)])
def test_a_variant_left_out_changes_no_grading(timed_reps, asked, count):
    cases = make_cases(count, 61 + asked, timed_reps, asked, kinds=working_kind)
    answers = run_cases(cases)

    left_out = 0
    for case, answer in zip(cases, answers, strict=True):
        if answer["decided"]:
            assert answer["needed"] == []
            continue
        assert answer["needed"][0] == "blocking"  # every variant is measured against it
        if len(answer["needed"]) == len(VARIANTS):
            continue
        left_out += 1
        for full, fewer in zip(answer["completions"], answer["needed_only"], strict=True):
            assert graded(fewer, case["plan"]) == graded(full, case["plan"]), answer["needed"]
    assert left_out >= count * 0.2


def test_a_wrong_answer_or_all_repetitions_timed_decide_at_once():
    kind = random_kind(random.Random(3)) | {"wrong_in": 0}
    rng = random.Random(4)
    wrong = {"timed": repetition(rng, 0, kind), "completions": [], "plan": plan_of(kind, 3)}
    honest = random_kind(random.Random(5)) | {"wrong_in": None}
    timed = [run for repeat in (0, 1, 2) for run in repetition(rng, repeat, honest)]
    all_timed = {"timed": timed, "completions": [], "plan": plan_of(honest, 3)}
    one_of_three = {"timed": timed[:4], "completions": [], "plan": plan_of(honest, 3)}

    answers = run_cases([wrong, all_timed, one_of_three])

    assert [answer["decided"] for answer in answers] == [True, True, False]


def plan_of(kind: dict, repeats: int) -> dict:
    return {"workers": kind["workers"], "repeats": repeats, "cpuQuotaCpus": 2, "tickMs": 0}


@pytest.mark.parametrize(
    ("known", "missing", "bounds"),
    [
        ([3.0, 1.0], 1, [1.0, 3.0]),  # median of 3 lies between the 2 known
        ([5.0], 2, None),  # one of 3: anything (infinite bounds)
        ([1.0, 2.0, 9.0], 2, [1.0, 9.0]),
        ([1.0, 2.0, 9.0, 4.0], 1, [2.0, 4.0]),
    ],
)
def test_median_bounds_hold_whatever_the_missing_repetitions_bring(known, missing, bounds):
    script = (
        f"const {{ medianBounds }} = require({json.dumps(str(LAB_DIR.parent / 'bounds.js'))});"
        f"const b = medianBounds({json.dumps(known)}, {missing}, 1);"
        "process.stdout.write(JSON.stringify(b.every(Number.isFinite) ? b : null));"
    )
    done = subprocess.run([node(), "-e", script], capture_output=True, check=True, text=True)
    assert json.loads(done.stdout) == bounds


def test_the_rule_draws_the_graders_lines():
    script = (
        f"process.stdout.write(JSON.stringify("
        f"require({json.dumps(str(LAB_DIR / 'stopping-rule.js'))}).LINES))"
    )
    done = subprocess.run([node(), "-e", script], capture_output=True, check=True, text=True)
    lines = json.loads(done.stdout)
    blocking_floor = re.search(r"const MIN_BLOCKING_MS = (\d+);", (LAB_DIR / "lab.js").read_text())

    assert lines == {
        "MAIN_THREAD_MAX_SHARE": judge.MAIN_THREAD_MAX_SHARE,
        "MAIN_THREAD_MAX_SHARE_N": judge.MAIN_THREAD_MAX_SHARE_N,
        "WORKER_THREADS_MIN_SHARE": judge.WORKER_THREADS_MIN_SHARE,
        "RESPONSIVE_MAX_STALL_RATIO": judge.RESPONSIVE_MAX_STALL_RATIO,
        "MIN_EFFICIENCY": judge.MIN_EFFICIENCY,
        "NEARLY_ALL_WORK": judge.NEARLY_ALL_WORK,
        "DUPLICATED_WORK_CPU": judge.DUPLICATED_WORK_CPU,
        "SEQUENTIAL_CONCURRENCY": judge.SEQUENTIAL_CONCURRENCY,
        "KEEPS_UP_WITH_REFERENCE": judge.KEEPS_UP_WITH_REFERENCE,
        "TRAILS_REFERENCE": judge.TRAILS_REFERENCE,
        "MIN_TRAIL_REPETITIONS": speedup.MIN_TRAIL_REPETITIONS,
        "MIN_BLOCKING_MS": int(blocking_floor.group(1)),
    }


def test_a_one_worker_split_keeps_timing_n_workers_while_a_second_busy_thread_could_show():
    rng = random.Random(8)
    kind = working_kind(rng) | {"workers": 2, "busy": 1, "busy_flake": 0.0, "share": 0.97}
    timed = [run for repeat in (0, 1) for run in repetition(rng, repeat, kind)]
    case = {"timed": timed, "completions": [], "plan": plan_of(kind, 3)}

    (answer,) = run_cases([case])

    # speeds_up is not held whatever comes (one thread did nearly all the work), but
    # splits_over_workers would hold if a later n_workers run had two busy threads.
    assert answer["needed"] == ["blocking", "n_workers"]
