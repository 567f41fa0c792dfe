"""What the harness measures, in the real image: lab drivers, event-loop delay, cgroup CPU.

Timings differ from host to host, so these tests assert the shape of the measurements and
relations between them that hold on a slow machine and a fast one (a blocked main thread
stalls longer than one whose work runs in a worker), never a number of milliseconds.
"""

import json
import os
from pathlib import Path

import pytest

from tests.conftest import require

pytestmark = pytest.mark.docker

SOLUTIONS = Path(__file__).resolve().parents[1] / "integration" / "solutions"
REFERENCE_SOLUTIONS = Path(__file__).resolve().parents[2] / "content/courses/node-workers/solutions"
# Small, so the test stays quick: verdict thresholds are the grader's business.
QUICK_UNBLOCK = {"repeats": 1, "target_ms": 200, "pause_ms": 50}
TWO_CPUS = ("--cpus=2", "--memory=512m", "--memory-swap=512m", "--pids-limit=128")


def run_reference_unblock(run_in_sandbox, settings, wall_seconds, docker_flags):
    """The course's own Unblock the Loop solution through the lab's driver: its report."""
    solution = (REFERENCE_SOLUTIONS / "unblock-the-loop.js").read_text()
    run = run_in_sandbox(
        {"main.js": solution},
        lab_kind="unblock-the-loop",
        check_config=settings,
        wall_seconds=wall_seconds,
        docker_flags=docker_flags,
    )
    return run.report


def test_unblock_driver_measures_the_same_job_four_ways(run_in_sandbox):
    report = run_reference_unblock(run_in_sandbox, QUICK_UNBLOCK, 20, TWO_CPUS)

    m = report["measurements"]
    assert (report["status"], report["exit_code"], report["harness_error"]) == ("exited", 0, None)
    assert m["problem"] is None and m["workers"] == 2 and m["items"] > 0
    assert m["cpu_quota_cpus"] == 2
    names = ("blocking", "one_worker", "n_workers", "reference_workers")
    blocking, one, many, reference = (m["variants"][name] for name in names)
    assert [v["workers"] for v in (blocking, one, many, reference)] == [0, 1, 2, 2]
    assert all(v["correct"] and v["runs"] == 1 for v in (blocking, one, many, reference))
    # What the hooks saw: no worker for the blocking run, one, then two at once.
    assert [v["peak_workers"] for v in (blocking, one, many, reference)] == [0, 1, 2, 2]
    # The blocking run holds the main thread for the whole call; a worker run does not.
    assert blocking["event_loop_utilization"]["median"] > one["event_loop_utilization"]["median"]
    assert blocking["loop_delay_p99_ms"]["median"] > one["loop_delay_p99_ms"]["median"]
    assert m["loop_delay_p99_ratio"]["one_worker"] < 1
    assert m["speedup"]["ideal"] == 2
    assert m["speedup"]["efficiency"] == pytest.approx(m["speedup"]["median"] / 2, abs=0.01)
    for variant in (blocking, one, many, reference):
        throttling = variant["throttling"]
        assert throttling["periods"] >= throttling["throttled_periods"] >= 0
    # Where the work ran, from each thread's CPU time: on the main thread when blocking, in
    # one thread with one worker, in two threads that worked at the same time with two.
    assert blocking["main_thread_cpu_ms"]["median"] > one["main_thread_cpu_ms"]["median"]
    assert one["worker_threads_cpu_ms"]["median"] > one["main_thread_cpu_ms"]["median"]
    assert [v["busy_threads"] for v in (blocking, one, many, reference)] == [0, 1, 2, 2]
    assert many["concurrency"]["median"] > 1.5 and reference["concurrency"]["median"] > 1.5
    assert 0.3 < many["busiest_thread_share"]["median"] < 0.8
    # The check call and the timed runs started real threads: 2 + 1 + 2 + 2.
    assert report["observations"]["workers_online"] >= 7
    assert m["n_workers_vs_reference"]["median"] > 0


@pytest.mark.parametrize("stop_when_decided", [1, 0])
def test_unblock_driver_stops_repeating_only_when_decided(run_in_sandbox, stop_when_decided):
    settings = {**QUICK_UNBLOCK, "repeats": 3, "stop_when_decided": stop_when_decided}

    report = run_reference_unblock(run_in_sandbox, settings, 25, TWO_CPUS)

    m = report["measurements"]
    assert (report["status"], report["exit_code"], report["harness_error"]) == ("exited", 0, None)
    assert m["repeats_asked"] == 3 and m["stopped"] in (None, "decided", "time_budget")
    runs = {name: variant["runs"] for name, variant in m["variants"].items()}
    # Every repetition times the blocking run; the others at most once a repetition.
    assert runs["blocking"] == m["repeats"]
    assert all(1 <= count <= m["repeats"] for count in runs.values())
    if m["stopped"] == "decided":
        assert stop_when_decided == 1 and m["repeats"] == 2  # one of three decides nothing
    elif m["stopped"] is None:
        assert m["repeats"] == 3
    if stop_when_decided == 0:
        assert m["stopped"] != "decided" and len(set(runs.values())) == 1


@pytest.mark.parametrize(
    ("cpu_flags", "quiet_ms"),
    [
        # Two CPUs can use up a 1-CPU quota: one CFS period (pause_ms) before each call.
        (("--cpus=1",), QUICK_UNBLOCK["pause_ms"]),
        # One CPU cannot use more than a 1-CPU quota: only the measuring's own 40 ms.
        (("--cpus=1", "--cpuset-cpus=0"), 40),
    ],
)
def test_unblock_driver_pauses_a_cfs_period_only_where_the_quota_can_be_used_up(
    run_in_sandbox, cpu_flags, quiet_ms
):
    require(len(os.sched_getaffinity(0)) >= 2, "this test needs a host with 2 CPUs or more")
    report = run_reference_unblock(run_in_sandbox, QUICK_UNBLOCK, 20, (*TWO_CPUS, *cpu_flags))

    m = report["measurements"]
    assert (report["status"], report["harness_error"], m["problem"]) == ("exited", None, None)
    assert m["cpu_quota_cpus"] == 1
    assert m["quiet_ms"] == quiet_ms


def test_unblock_driver_reports_a_missing_export_without_timing(run_in_sandbox):
    run = run_in_sandbox(
        {"main.js": "module.exports = { solved: () => 0 };\n"},
        lab_kind="unblock-the-loop",
        check_config=QUICK_UNBLOCK,
    )

    m = run.report["measurements"]
    assert run.report["status"] == "exited" and run.report["exit_code"] == 0
    assert m["problem"] == "solve_missing"
    assert all(variant is None for variant in m["variants"].values())


CHEAP_TASK = "module.exports = { crunch: () => 0, combine: (a, b) => a + b };\n"
SOLVE_WITH_OWN_TASK = """\
const { crunch } = require('./task.js');
module.exports = { solve: async ({ seed, items }) => crunch(seed, 0, items) };
"""


def test_unblock_task_js_is_the_graders_own_copy(run_in_sandbox):
    run = run_in_sandbox(
        {"main.js": SOLVE_WITH_OWN_TASK, "task.js": CHEAP_TASK},
        lab_kind="unblock-the-loop",
        check_config=QUICK_UNBLOCK,
        # Four timed runs on one CPU: 3 s was too tight on a host busy with other tests.
        wall_seconds=10,
    )

    m = run.report["measurements"]
    assert m["problem"] is None, "the real crunch() ran, so the answer is right"
    assert m["variants"]["one_worker"]["correct"]


CHILD_PROCESS_CALLS_CJS = """\
const cp = require('node:child_process');
const { promisify } = require('node:util');
(async () => {
  const { stdout, stderr } = await promisify(cp.exec)('echo hi');
  console.log(JSON.stringify({ stdout, stderr }));
  cp.execFileSync('true');
  cp.spawnSync('true');
  cp.spawn('true').on('exit', (code) => console.log('spawned', code));
})();
"""

CHILD_PROCESS_CALLS_ESM = """\
import { spawn, execFile } from 'node:child_process';
spawn('true').on('exit', (code) => {
  execFile('echo', ['hi'], (error, stdout) => console.log(code, stdout.trim()));
});
"""


@pytest.mark.parametrize(
    ("entrypoint", "source", "expected"),
    [
        pytest.param(
            "main.js",
            CHILD_PROCESS_CALLS_CJS,
            {"exec": 1, "execFileSync": 1, "spawnSync": 1, "spawn": 1},
            id="commonjs-outermost-calls-only",
        ),
        pytest.param(
            "main.mjs", CHILD_PROCESS_CALLS_ESM, {"spawn": 1, "execFile": 1}, id="es-module-import"
        ),
    ],
)
def test_child_process_calls_are_counted_and_behave_as_under_plain_node(
    run_in_sandbox, run_plain_node, entrypoint, source, expected
):
    plain = run_plain_node({entrypoint: source}, entrypoint)
    run = run_in_sandbox({entrypoint: source}, entrypoint=entrypoint)

    calls = run.report["child_process_calls"]
    assert {name: count for name, count in calls.items() if count} == expected
    assert run.report["output"]["text"] == plain.stdout
    assert run.report["exit_code"] == plain.exit_code == 0


WORKER_WHILE_MAIN_WAITS = """\
const { Worker, isMainThread, parentPort } = require('node:worker_threads');
if (isMainThread) {
  const worker = new Worker(__filename);
  worker.on('message', () => worker.terminate());
  // Let the delay timer tick once, then hold the main thread while the worker runs.
  setTimeout(() => { if (BLOCK) { const end = Date.now() + 150; while (Date.now() < end); } }, 30);
} else {
  setTimeout(() => parentPort.postMessage('done'), 250);
}
"""


def test_thread_lab_reports_the_main_threads_loop_delay_while_its_worker_ran(run_in_sandbox):
    idle = run_in_sandbox({"main.js": "const BLOCK = false;\n" + WORKER_WHILE_MAIN_WAITS})
    blocked = run_in_sandbox({"main.js": "const BLOCK = true;\n" + WORKER_WHILE_MAIN_WAITS})

    idle_delay = idle.report["measurements"]["loop_delay_while_workers_ran"]
    blocked_delay = blocked.report["measurements"]["loop_delay_while_workers_ran"]
    assert idle_delay["samples"] > 0 and blocked_delay["samples"] > 0
    assert idle_delay["window_ms"] > 0
    assert blocked_delay["max_ms"] > idle_delay["max_ms"]
    assert idle.report["measurements"]["cpu_quota_cpus"] == 1
    assert set(idle.report["measurements"]["throttling"]) == {
        "periods",
        "throttled_periods",
        "throttled_ms",
    }


CPU_STAT_PROBE = """\
const { readCpuStat, cpuStatDelta } = require('/opt/harness/cgroup.js');
const trees = ['v1', 'v2', 'none'];
const stats = Object.fromEntries(trees.map((t) => [t, readCpuStat(`/work/submission/${t}`)]));
const delta = cpuStatDelta(
  { periods: 10, throttled_periods: 2, throttled_ms: 5 },
  { periods: 25, throttled_periods: 6, throttled_ms: 12.5 },
);
console.log(JSON.stringify({ stats, delta }));
"""


def test_cpu_throttling_is_read_from_cgroup_v1_and_v2(run_plain_node):
    files = {
        "probe.js": CPU_STAT_PROBE,
        "v1/cpu/cpu.stat": "nr_periods 40\nnr_throttled 12\nthrottled_time 230500000\n",
        "v2/cgroup.controllers": "cpu memory\n",
        "v2/cpu.stat": "usage_usec 9\nnr_periods 40\nnr_throttled 12\nthrottled_usec 230500\n",
        "none/.keep": "",
    }

    plain = run_plain_node(files, "probe.js")

    assert plain.exit_code == 0, plain.stderr
    seen = json.loads(plain.stdout)
    expected = {"periods": 40, "throttled_periods": 12, "throttled_ms": 230.5}
    assert seen["stats"] == {"v1": expected, "v2": expected, "none": None}
    assert seen["delta"] == {"periods": 15, "throttled_periods": 4, "throttled_ms": 7.5}


SUMMARY_PROBE = """\
const { summarize } = require('/opt/labs/unblock-the-loop/lab.js');
const run = (variant, repeat, wall, p99, peak) => ({
  variant, repeat, wall_ms: wall, cpu_ms: wall, p50_ms: 0.1, p99_ms: p99, max_ms: p99,
  event_loop_utilization: 0.5, peak_workers: peak, periods: 4, throttled_periods: 1,
  throttled_ms: 2.5, correct: true, error: null,
  workers: { blocking: 0, one_worker: 1, n_workers: 2, reference_workers: 2 }[variant],
  main_thread_cpu_ms: peak === 0 ? wall : 20, worker_threads_cpu_ms: peak === 0 ? 0 : wall - 20,
  busy_threads: repeat === 1 ? peak : Math.min(peak, 1),
  busiest_thread_share: peak ? 1 / peak : null,
  concurrency: peak ? peak - 0.1 * repeat : null, thread_samples: 40,
});
const runs = (scale) => [0, 1, 2].flatMap((r) => [
  run('blocking', r, scale * (600 + r), scale * 590, 0),
  run('one_worker', r, scale * 660, 1, 1),
  run('n_workers', r, scale * (400 - 50 * r), 4, 2),
  run('reference_workers', r, scale * 380, 3, 2),
]);
const facts = { workers: 2, repeats: 3, items: 1000, problem: null, error: null };
console.log(JSON.stringify({
  normal: summarize({ facts, runs: runs(1), cpuQuotaCpus: 1.5 }),
  tiny: summarize({ facts, runs: runs(0.1), cpuQuotaCpus: 2 }),
}));
"""


def test_unblock_summary_pairs_runs_by_repetition_and_flags_a_job_too_short(run_plain_node):
    plain = run_plain_node({"probe.js": SUMMARY_PROBE}, "probe.js")

    assert plain.exit_code == 0, plain.stderr
    seen = json.loads(plain.stdout)
    normal, tiny = seen["normal"], seen["tiny"]
    # Per repetition: 600/400, 601/350, 602/300; the median pair is the middle one.
    assert normal["speedup"] == {
        "median": 1.72,
        "min": 1.5,
        "max": 2.01,
        "ideal": 1.5,
        "efficiency": 1.15,
    }
    assert normal["n_workers_vs_reference"]["median"] == pytest.approx(380 / 350, abs=0.01)
    assert normal["variants"]["blocking"]["throttling"] == {
        "periods": 12,
        "throttled_periods": 3,
        "throttled_ms": 7.5,
    }
    assert normal["loop_delay_p99_ratio"] == {"one_worker": 0.002, "n_workers": 0.007}
    # Where the work ran: busy threads are the most over the runs; parallelism is the
    # worker threads' CPU time over the wall time, per run.
    many = normal["variants"]["n_workers"]
    assert many["busy_threads"] == 2 and normal["variants"]["blocking"]["busy_threads"] == 0
    assert many["concurrency"] == {"median": 1.9, "min": 1.8, "max": 2}
    assert many["parallelism"]["median"] == pytest.approx(330 / 350, abs=0.01)
    assert normal["variants"]["blocking"]["concurrency"] is None
    assert normal["problem"] is None
    assert tiny["problem"] == "inconclusive"


# First call: pull the chunks with read() on 'readable'. Second call: drain with resume()
# and nobody listening. Both print what a student could see of the harness, next to a
# child the hooks do not watch (another command).
SPAWN_READ_THEN_DRAIN = """\
const { spawn } = require('node:child_process');
let call = 0;
const listeners = (stream) =>
  JSON.stringify(stream.eventNames().map((name) => [name, stream.listenerCount(name)]));
exports.countErrors = (command, args) => new Promise((resolve) => {
  const child = spawn(command, args);
  const stdout = child.stdout;
  const unwatched = spawn(command, ['-e', '']);
  console.log(JSON.stringify({
    gc: typeof gc,
    globalGc: typeof globalThis.gc,
    keys: Object.keys(stdout).filter((key) => key === 'emit' || key === 'read'),
    sameListeners: listeners(stdout) === listeners(unwatched.stdout),
  }));
  if (call++ === 0) {
    let bytes = 0;
    stdout.on('readable', () => { for (let c; (c = stdout.read()) !== null;) bytes += c.length; });
    stdout.on('end', () => resolve(bytes));
  } else {
    stdout.resume();
    child.on('close', () => resolve(0));
  }
});
"""
UNSEEN = {"gc": "undefined", "globalGc": "undefined", "keys": [], "sameListeners": True}


def test_spawn_driver_counts_what_reached_the_code_and_hides_its_collector(run_in_sandbox):
    run = run_in_sandbox(
        {"main.js": SPAWN_READ_THEN_DRAIN},
        lab_kind="spawn-vs-exec",
        check_config={"output_mib": 2, "repeats": 2},
        wall_seconds=20,
    )

    report, m = run.report, run.report["measurements"]
    assert (report["status"], report["exit_code"], report["harness_error"]) == ("exited", 0, None)
    seen = [json.loads(line) for line in report["output"]["text"].splitlines()]
    # No gc on the student's global, no enumerable trace on the stream, no listener of ours.
    assert seen == [UNSEEN, UNSEEN]
    command = m["variants"]["student"]["command"]
    assert (command["spawns"], command["other_spawns"], command["other_file"]) == (2, 2, "node")
    # The chunks read() returned all reached the code; the drained ones did not.
    assert command["bytes_read_max"] == m["output_bytes"] and command["bytes_read_min"] == 0
    assert m["read_ratio"] == 0
    student, reference = m["variants"]["student"], m["variants"]["exec_reference"]
    # The student's calls as asked; exec's solution once (it decides no check).
    assert (student["runs"], reference["runs"]) == (2, 1)
    assert student["retained_at_output_end_bytes"] is not None
    assert reference["retained_at_output_end_bytes"] is None
    # exec's solution holds the whole output at once; a reader of chunks holds a few.
    assert reference["retained_growth_bytes"]["max"] > m["output_bytes"]
    assert student["retained_growth_bytes"]["max"] < m["output_bytes"] / 4
