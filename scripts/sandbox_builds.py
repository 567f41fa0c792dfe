"""Build the graders' missing sandbox images in the background: `make run` never waits on them.

A fresh clone has no sandbox image. Building one takes seconds on a base the Engine has,
minutes when that base must first be made offline (debootstrap). So `make run` starts the
builds once its first page answers, the portal serves meanwhile, and each grader starts
when its image is there (scripts/run_platform.py, scripts/grader_preparation.py).

One build of an image at a time, whoever asks for it: a builder process (this file's
`build` command) holds an exclusive lock on var/images/<image>.lock while it runs
scripts/build-sandbox-image.sh, writes the script's output to <image>.log and, when the
script ends, its exit status to <image>.exit. A builder that finds the lock taken waits
for it, then builds only if the image is still missing. The builder stays in the
terminal's process group, so Ctrl-C reaches it, and it stops the build (the script runs in
a session of its own so that the whole of it, debootstrap or `docker build`, is stopped);
a builder that ended without writing a status was interrupted.

Usage (the builder, which SandboxBuild.start runs): sandbox_builds.py build KIND IMAGE
STATE_DIR SCRIPT, where KIND is build-sandbox-image.sh's: node or python.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / "var" / "images"
BUILD_SCRIPT = ROOT / "scripts" / "build-sandbox-image.sh"
# How long a build just asked for may go without its builder holding the lock (a Python
# starting on a busy host) before it counts as gone.
START_GRACE_SECONDS = 10.0
# The builds' CPU priority where the idle class is not available (the script and all it
# starts: debootstrap, dpkg, the Engine's CLI).
BUILD_NICENESS = 19
# How long a stopped build may take to end before it is killed.
STOP_GRACE_SECONDS = 10.0


def image_present(image: str) -> bool:
    """Whether the Engine has `image` (False too when there is no Engine or no CLI)."""
    docker = shutil.which("docker")
    if docker is None:
        return False
    inspect = subprocess.run([docker, "image", "inspect", image], capture_output=True, check=False)
    return inspect.returncode == 0


@dataclass(frozen=True)
class SandboxBuild:
    """The build of one sandbox image, as files in `state_dir` that any process can read."""

    kind: str
    image: str
    state_dir: Path = STATE_DIR
    script: Path = BUILD_SCRIPT  # called as: SCRIPT KIND IMAGE

    @property
    def _name(self) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]", "_", self.image)

    @property
    def lock_path(self) -> Path:
        return self.state_dir / f"{self._name}.lock"

    @property
    def log_path(self) -> Path:
        return self.state_dir / f"{self._name}.log"

    @property
    def exit_path(self) -> Path:
        return self.state_dir / f"{self._name}.exit"

    @property
    def label(self) -> str:
        """The build as the console names it (scripts/progress.py's step label)."""
        try:
            log = self.log_path.relative_to(ROOT)
        except ValueError:
            log = self.log_path
        return f"building the sandbox image {self.image} (its log: {log})"

    def running(self) -> bool:
        """Whether a builder holds the lock now."""
        try:
            descriptor = os.open(self.lock_path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(descriptor)  # closing drops the probe's own lock
        return False

    def exit_status(self) -> int | None:
        """The last build's exit status, None while none is recorded."""
        try:
            return int(self.exit_path.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def start(self, env: dict[str, str] | None = None) -> bool:
        """Start a builder unless one runs; whether this call started one."""
        if self.running():
            return False
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.exit_path.unlink(missing_ok=True)  # a previous build's status is not this one's
        _reap_builders()
        builder = subprocess.Popen(
            [sys.executable, __file__, "build", self.kind, self.image]
            + [str(self.state_dir), str(self.script)],
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _BUILDERS.append((self.lock_path, builder))
        return True

    def started_at(self) -> float | None:
        """When the running build took its lock, on time.monotonic()'s clock; else None."""
        if not self.running():
            return None
        try:
            age = time.time() - self.lock_path.stat().st_mtime
        except FileNotFoundError:
            return None
        return time.monotonic() - max(0.0, age)

    def forget_status(self) -> None:
        """The build's end has been said: a later run must not say it again."""
        self.exit_path.unlink(missing_ok=True)

    def seconds(self) -> float | None:
        """How long the last build took (its lock taken to its status written), if it ended."""
        try:
            return self.exit_path.stat().st_mtime - self.lock_path.stat().st_mtime
        except FileNotFoundError:
            return None

    def wait(
        self, stopping: threading.Event, tick: Callable[[], None] = lambda: None
    ) -> int | None:
        """Wait for the build to end and return its exit status; None when it ended without
        one (interrupted), when no builder took it up, or when `stopping` is set first.
        `tick` is called about twice a second meanwhile (progress lines)."""
        unattended_since: float | None = None
        while not stopping.is_set():
            _reap_builders()
            code = self.exit_status()
            if code is not None:
                return code
            if self.running():
                unattended_since = None
            elif unattended_since is None:
                unattended_since = time.monotonic()
            elif time.monotonic() - unattended_since > START_GRACE_SECONDS:
                return None
            tick()
            stopping.wait(0.5)
        return None

    def stop(self) -> None:
        """Ask the builder that holds the lock, if any, to stop its build, and the builders
        this process started for it that have not taken the lock yet."""
        for lock_path, builder in _BUILDERS:
            if lock_path == self.lock_path and builder.poll() is None:
                builder.terminate()
        if not self.running():
            return
        try:
            os.kill(int(self.lock_path.read_text().strip()), signal.SIGTERM)
        except (ValueError, OSError):
            pass  # between builds, or it just ended

    def log_tail(self, lines: int = 3) -> str:
        try:
            return " / ".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def build(target: SandboxBuild) -> int:
    """The builder: wait for the lock, build when the image is still missing, record how it
    ended. SIGINT or SIGTERM stop the build and leave no status."""
    target.state_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    # Close-on-exec (Python's default): the script and the Engine's CLI never hold it.
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    os.ftruncate(descriptor, 0)
    os.write(descriptor, str(os.getpid()).encode())
    if image_present(target.image):
        _record(target, 0)
        return 0
    _yield_to_the_platform()
    stop_asked: list[int] = []  # the signals received, by the handler below

    def ask_to_stop(signum, frame):
        stop_asked.append(signum)

    signal.signal(signal.SIGINT, ask_to_stop)
    signal.signal(signal.SIGTERM, ask_to_stop)
    with target.log_path.open("wb") as log:
        script = subprocess.Popen(
            [str(target.script), target.kind, target.image],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stop_sent = None
    while (code := _wait_a_little(script)) is None:
        if stop_asked and stop_sent is None:
            # The script leads its own process group: stop all of it (SIGTERM: a script's
            # background jobs ignore SIGINT) ...
            _signal_group(script.pid, signal.SIGTERM)
            stop_sent = time.monotonic()
        elif stop_sent is not None and time.monotonic() - stop_sent > STOP_GRACE_SECONDS:
            _signal_group(script.pid, signal.SIGKILL)  # ... and kill what did not stop
    if stop_asked:
        return 128 + stop_asked[0]  # interrupted: no status
    _record(target, code)
    return code


def _yield_to_the_platform() -> None:
    """Run this builder and all it starts behind everything else, for the CPU and the disk.

    A build is minutes of debootstrap and dpkg when the offline bases must be made, and the
    portal answering a newcomer's first pages, or a grader whose image was there, must not
    wait behind it. Niceness is not enough: when the builds ran beside the steps to the
    first page, at niceness 10 it still came twice as late. The idle scheduling class gets
    a CPU only when nothing else wants it, the idle I/O class the disk likewise (schedulers
    that honour I/O priorities: mq-deadline, bfq). Both are inherited by every child
    process; the Engine's own work for a build (an import, a layer) is the daemon's and
    keeps its place.
    """
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(BUILD_NICENESS)
    ionice = shutil.which("ionice")  # util-linux; no Python call sets an I/O priority
    if ionice is not None:
        subprocess.run(
            [ionice, "--class", "idle", "--pid", str(os.getpid())],
            capture_output=True,
            check=False,
        )


def _wait_a_little(process: subprocess.Popen) -> int | None:
    try:
        return process.wait(timeout=0.2)
    except subprocess.TimeoutExpired:
        return None


# The builders this process started (with their build's lock), until they end (then
# reaped: no zombie is left).
_BUILDERS: list[tuple[Path, subprocess.Popen]] = []


def _reap_builders() -> None:
    _BUILDERS[:] = [(lock, builder) for lock, builder in _BUILDERS if builder.poll() is None]


def _signal_group(leader: int, signum: int) -> None:
    try:
        os.killpg(leader, signum)
    except ProcessLookupError:
        pass


def _record(target: SandboxBuild, code: int) -> None:
    partial = target.exit_path.with_suffix(".exit.partial")
    partial.write_text(f"{code}\n")
    partial.replace(target.exit_path)  # whole or absent, never half written


def main(arguments: list[str]) -> int:
    if arguments[:1] == ["build"] and len(arguments) == 5:
        kind, image, state_dir, script = arguments[1:]
        return build(SandboxBuild(kind, image, Path(state_dir), Path(script)))
    print("usage: sandbox_builds.py build KIND IMAGE STATE_DIR SCRIPT", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
