"""Get the graders ready in the background while the portal already serves its pages.

A grader may start once its sandbox image exists. On a fresh clone the images take from
seconds to minutes to build (scripts/sandbox_builds.py), and nothing on the way to the
first page needs them: so they are built once it answers, each grader's wait (and its
build) runs in a thread of its own, and
scripts/run_platform.py starts each grader when `ready()` names it. Meanwhile submissions
wait, queued, and the console says what is being built and that it still is. The janitor
(`grader janitor`: the sandbox containers a killed run left behind, all older than the
longest run) runs in one more thread; the graders do not wait for it, as it never touches
a container as young as theirs (and each live grader removes dead graders' containers too).
"""

from __future__ import annotations

import subprocess
import textwrap
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from progress import Progress, say
from sandbox_builds import SandboxBuild, image_present

# Between two "still building" lines: a build may take minutes, and the portal's URL is
# already on the console above them.
BUILD_HEARTBEAT_SECONDS = 15.0
# How much of the build log's last line each of those says (what the build does now),
# shortened at a word.
DETAIL_CHARACTERS = 120


class GraderPreparation:
    """Each named grader's image, waited for (or built) in the background; the janitor."""

    def __init__(
        self,
        builds: dict[str, SandboxBuild],
        missing: set[str],
        janitor: list[str],
        env: dict[str, str],
    ) -> None:
        """`missing`: the graders whose image was missing when the first page answered
        (another run's build of it may have ended since: said all the same)."""
        self.builds = builds
        self._missing = missing
        self.janitor = janitor
        self.env = env
        self.stopping = threading.Event()
        self._stop_lock = threading.Lock()  # no build nor janitor starts once stop() has begun
        self._janitor: list[subprocess.Popen] = []
        self._executor = ThreadPoolExecutor(len(builds) + 1, thread_name_prefix="grader-prep")
        self._pending: dict[str, Future] = {}
        self._built: set[str] = set()  # the missing images that are there now

    def begin(self) -> None:
        """Start the janitor, and the wait for each missing image (built if nobody does)."""
        self._built = {name for name in self._missing if image_present(self.builds[name].image)}
        self._executor.submit(self._remove_leftovers)
        for name, build in self.builds.items():
            self._pending[name] = self._executor.submit(self._prepare, name, build)

    def building(self) -> list[str]:
        """The missing images not built yet."""
        return [self.builds[name].image for name in self._missing - self._built]

    def ready(self) -> list[str]:
        """The graders whose preparation ended since the last call, in the order given."""
        done = [name for name, preparation in self._pending.items() if preparation.done()]
        for name in done:
            self._pending.pop(name).result()  # an error in a preparation is a bug: raise it
        return done

    def stop(self) -> None:
        """Stop waiting; ask the builds this run still waits for to stop (Ctrl-C has
        reached them already, SIGTERM has not), and the janitor, quietly (the next run
        does its work)."""
        with self._stop_lock:
            self.stopping.set()
            janitors = list(self._janitor)
        for janitor in janitors:
            if janitor.poll() is None:
                janitor.terminate()
        for name in self._pending:
            self.builds[name].stop()
        self._executor.shutdown(wait=True)

    def _remove_leftovers(self) -> None:
        # Containers a killed grader left behind (a previous `make run` stopped hard).
        progress = Progress("removing sandbox containers an earlier run left behind")
        with self._stop_lock:
            if self.stopping.is_set():
                return
            progress.start()
            # A session of its own: Ctrl-C reaches run_platform.py only, which stops it.
            janitor = subprocess.Popen(self.janitor, env=self.env, start_new_session=True)
            self._janitor.append(janitor)
        while True:
            try:
                code = janitor.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                progress.tick()
        if not self.stopping.is_set():
            progress.done("done" if code == 0 else f"failed (exit {code})")

    def _prepare(self, name: str, build: SandboxBuild) -> None:
        if name in self._missing and self._wait_for(build):
            self._built.add(name)

    def _wait_for(self, build: SandboxBuild) -> bool:
        """Whether the image was built (or the build failed or was interrupted: said so)."""
        with self._stop_lock:
            if self.stopping.is_set():
                return False
            if not build.running() and build.exit_status() is None:
                build.start(self.env)  # unless another run of this clone builds it already
        if build.exit_status() is not None and not build.running():
            # Another run's build that ended meanwhile: one line with the build's own time.
            code, seconds = build.exit_status(), build.seconds() or 0.0
            built = code == 0 and image_present(build.image)
            say(f"run: {build.label}: {_outcome(build, code, built)} in {seconds:.1f} s")
            build.forget_status()
            return built
        progress = Progress(
            build.label,
            interval=BUILD_HEARTBEAT_SECONDS,
            detail=lambda: textwrap.shorten(build.log_tail(lines=1), DETAIL_CHARACTERS),
        )
        code = build.wait(self.stopping, progress.start(since=build.started_at()).tick)
        if self.stopping.is_set():
            return False
        built = code == 0 and image_present(build.image)
        progress.done(_outcome(build, code, built))
        build.forget_status()
        return built


def _outcome(build: SandboxBuild, code: int | None, built: bool) -> str:
    if built:
        return "built"
    if code is None:
        return "interrupted: the grader starts without it"
    # No Engine (the script says so and succeeds), or a failed build: the grader starts
    # anyway, reports itself not ready, and submissions wait queued.
    return f"not built ({build.log_tail() or f'exit {code}'})"
