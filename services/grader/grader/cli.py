"""The `grader` command: grade one file, run a worker, clean up after a dead grader, or
scale a Swarm service's graders from the queue.

`grader grade --lab thread-lab FILE` goes through the same pipeline as the worker and
prints the GradeResult as JSON. Lab authors and operators script against it, so its
exit status is stable: 0 passed, 1 any other verdict, 2 bad usage or refused input (an
unknown lab kind, or a GRADER_ADAPTER that names no adapter).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import docker
from redis import Redis

from contract import (
    GRADE_RESULT_VERSION,
    SCHEMA_VERSION,
    GradeRequest,
    SubmittedFile,
    encode_grade_result,
)
from contract.logs import LogFormatError, configure_logging
from grader import metrics
from grader.adapter import ADAPTER_ENV, AdapterError
from grader.autoscale import (
    DEFAULT_COOLDOWN_SECONDS,
    DEFAULT_INTERVAL_SECONDS,
    Autoscaler,
    ScalingBounds,
)
from grader.config import ConfigError, GraderConfig
from grader.health_server import DEFAULT_BIND, DEFAULT_PORT, HttpSettings, start_http_server
from grader.janitor import remove_leftover_containers
from grader.pipeline import grade_request
from grader.runsc_leftovers import reap_leaked_sandboxes
from grader.sandbox import run_in_sandbox
from grader.submission import SubmissionRefused, check_submission, decode_source
from grader.worker import run_worker

EXIT_PASSED, EXIT_NOT_PASSED, EXIT_USAGE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `grader` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    return args.run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    grade = commands.add_parser("grade", help="grade one file and print the result as JSON")
    grade.add_argument("--lab", required=True, help="lab kind, e.g. thread-lab")
    grade.add_argument(
        "file", type=Path, help="the solution (Node: .js, .cjs or .mjs; Python: .py)"
    )
    grade.add_argument(
        "--adapter", help=f"language adapter, e.g. node (default: ${ADAPTER_ENV} or node)"
    )
    grade.add_argument("--image", help="sandbox image (default: $SANDBOX_IMAGE or the built one)")
    grade.add_argument(
        "--check-config",
        type=_json_object,
        default={},
        metavar="JSON",
        help="the lab's check_config, as in course.yaml, e.g. '{\"repeats\": 1}'",
    )
    grade.set_defaults(run=_grade)

    worker = commands.add_parser("worker", help="work the grading queue ($GRADER_QUEUE)")
    worker.add_argument("--redis-url", help="default: $REDIS_URL")
    worker.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    worker.add_argument("--name", help="worker name shown in dashboards")
    worker.set_defaults(run=_worker)

    janitor = commands.add_parser("janitor", help="remove sandbox containers left by a dead grader")
    janitor.add_argument("--older-than", type=float, default=120.0, metavar="SECONDS")
    janitor.set_defaults(run=_janitor)

    autoscale = commands.add_parser(
        "autoscale", help="set a Swarm service's grader replicas from the grading queue"
    )
    autoscale.add_argument("--service", required=True, help="the graders' Swarm service")
    autoscale.add_argument(
        "--min", type=int, required=True, dest="minimum", metavar="N", help="never fewer graders"
    )
    autoscale.add_argument(
        "--max", type=int, required=True, dest="maximum", metavar="N", help="never more graders"
    )
    autoscale.add_argument(
        "--cooldown",
        type=float,
        default=DEFAULT_COOLDOWN_SECONDS,
        metavar="SECONDS",
        help="scale down only after the demand stayed lower this long",
    )
    autoscale.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL_SECONDS,
        metavar="SECONDS",
        help="how often the queue is read",
    )
    autoscale.add_argument("--redis-url", help="default: $REDIS_URL")
    autoscale.add_argument("--queue", help="the graders' queue (default: $GRADER_QUEUE or grading)")
    autoscale.set_defaults(run=_autoscale)
    return parser


def _grade(args: argparse.Namespace) -> int:
    try:
        config = _config(args.adapter)
        adapter = config.loaded_adapter()
        kind = adapter.lab_kind(args.lab)
        data = args.file.read_bytes()
        source = decode_source(data, args.file.name)
        entrypoint = adapter.entrypoint_name(args.file.name)
        check_submission({entrypoint: source})
    except KeyError as error:
        return _refuse(error.args[0])
    except OSError as error:
        return _refuse(f"cannot read {args.file}: {error.strerror}")
    except (SubmissionRefused, AdapterError, ConfigError) as error:
        return _refuse(str(error))

    request = GradeRequest(
        schema_version=SCHEMA_VERSION,
        submission_id=f"cli-{uuid.uuid4().hex[:12]}",
        tenant_id="cli",
        lab_id=kind.name,
        lab_kind=kind.name,
        files=(SubmittedFile(entrypoint, source),),
        entrypoint=entrypoint,
        limits=kind.default_limits,
        check_config=args.check_config,
        queued_at=datetime.now(UTC).isoformat(),
    )
    runner = functools.partial(
        run_in_sandbox,
        docker.from_env(),
        args.image or config.sandbox_image,
        runtime=config.sandbox_runtime,
        cgroup_root=config.host_cgroup_dir,
    )
    result = grade_request(request, runner, config.ceilings, adapter=adapter)
    # The newest version, findings, diagnoses and charts included: what a lab author checks.
    json.dump(
        encode_grade_result(result, GRADE_RESULT_VERSION), sys.stdout, indent=2, ensure_ascii=False
    )
    sys.stdout.write("\n")
    return EXIT_PASSED if result.verdict == "passed" else EXIT_NOT_PASSED


def _worker(args: argparse.Namespace) -> int:
    try:
        configure_logging(os.environ.get("LOG_FORMAT", "text"), service="grader")
        config = _config()
    except (LogFormatError, AdapterError, ConfigError) as error:
        return _refuse(str(error))
    redis_url = args.redis_url or config.redis_url
    try:
        port = int(os.environ.get("GRADER_METRICS_PORT", DEFAULT_PORT))
    except ValueError:
        return _refuse("GRADER_METRICS_PORT: expected a port number")
    bind = os.environ.get("GRADER_METRICS_BIND", DEFAULT_BIND)
    # The work-horses' metrics meet the worker's HTTP server in this directory.
    metrics_dir = tempfile.mkdtemp(prefix="grader-metrics-")
    metrics.use_directory(metrics_dir)
    metrics.initialize()
    settings = HttpSettings(
        redis_url,
        config.sandbox_image,
        metrics_dir,
        os.environ.get("METRICS_TOKEN", ""),
        config.sandbox_runtime,
    )
    try:
        server = start_http_server(settings, bind, port)
    except OSError as error:
        # Grading matters more than its probes: say so loudly, and grade anyway (the
        # orchestrator's failing probe, if there is one, reports it too).
        print(f"grader: no /healthz or /metrics on {bind}:{port}: {error}", file=sys.stderr)
        server = None
    try:
        run_worker(redis_url, config.queue, burst=args.burst, name=args.name)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def _janitor(args: argparse.Namespace) -> int:
    client = docker.from_env()
    removed = remove_leftover_containers(client, args.older_than)
    print(f"removed {removed} leftover sandbox container(s)")
    reaped = reap_leaked_sandboxes(client)
    if reaped:
        print(f"reaped {len(reaped)} runsc sandbox(es) that failed starts left behind")
    return 0


def _autoscale(args: argparse.Namespace) -> int:
    try:
        configure_logging(os.environ.get("LOG_FORMAT", "text"), service="grader-autoscaler")
        bounds = ScalingBounds(args.minimum, args.maximum, args.cooldown)
        config = _config()
    except (LogFormatError, ValueError) as error:  # AdapterError is a ValueError
        return _refuse(str(error))
    if args.interval <= 0:
        return _refuse(f"--interval must be more than 0, not {args.interval}")
    redis_url = args.redis_url or config.redis_url
    connection = Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=2)
    scaler = Autoscaler(
        connection, docker.from_env(), args.service, bounds, queue_name=args.queue or config.queue
    )
    scaler.run(args.interval)
    return 0


def _config(adapter: str | None = None) -> GraderConfig:
    """The environment's settings, with the adapter named on the command line, if any;
    AdapterError when the adapter is unknown and ConfigError when SANDBOX_RUNTIME is (the
    grader must not start)."""
    environ = dict(os.environ)
    if adapter:
        environ[ADAPTER_ENV] = adapter
    return GraderConfig.from_env(environ)


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not JSON: {error}") from error
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object")
    return value


def _refuse(message: str) -> int:
    print(f"grader: {message}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
