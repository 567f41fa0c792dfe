"""A newcomer's first run: `make run` on a fresh clone, timed to its first page.

Target (issue 16, 4): the first page at most 60 s after `make run` starts, on a fresh clone
with empty package caches and no sandbox image.

What is fresh: a clone of this repository's HEAD (committed work only) in a temporary
directory: no .venv, no .tools, no var/; an empty uv cache (UV_CACHE_DIR there) and no pip
cache (PIP_NO_CACHE_DIR); sandbox images under tags of this run's own, which do not exist
yet, built without Docker's layer cache (SANDBOX_BUILD_NO_CACHE). The shared images are
neither used nor touched.

What is reused, and said so in the output: the offline bases of the sandbox images
(course-sandbox-base:node22-bookworm, course-sandbox-python-base:bookworm, made by debootstrap),
which stand in for the official images a registry would serve to a newcomer (a
`docker pull`, which is not measured either); `--fresh-bases` makes them too, under tags of
this run's own, from Debian's mirror (minutes: the graders are ready that much later, the
first page should not be). Also the machine's: the Python interpreter, the Docker Engine,
uv when one is on PATH (a newcomer's `make run` installs it otherwise: said in the output).

Timed from `make run`'s start: the first page (GET / answers a page, 200 after redirects)
and each grader ready (its /readyz answers 200); every console line is kept with its time,
and the steps' own "done in" figures are printed. Then Ctrl-C (SIGINT to make's process
group, as a terminal sends it), the platform stops, and the temporary tags and directory
are removed. The host is shared and busy: the figures are rough, one run each.

Writes bench/out/first_run.json and prints the figures beside the target. Not part of
`make bench` (a few minutes, and network downloads): `make bench-first-run`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "first_run.json"
TARGET_SECONDS = 60.0
PAGE_LIMIT_SECONDS = 600.0  # bounds on a hang, not targets
GRADERS_LIMIT_SECONDS = 900.0
STOP_LIMIT_SECONDS = 120.0
SHARED_BASES = ("course-sandbox-base:node22-bookworm", "course-sandbox-python-base:bookworm")
# Settings of this shell that would point the fresh platform elsewhere.
FOREIGN_SETTINGS = (
    "REDIS_URL",
    "PORTAL_DATABASE_URL",
    "PORTAL_BASE_URL",
    "GRADER_QUEUES",
    "PROMETHEUS_MULTIPROC_DIR",
    "VIRTUAL_ENV",
    "UV_PROJECT_ENVIRONMENT",
    "MAIL_OUTBOX_DIR",
)
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fresh-bases", action="store_true", help="make the offline bases too (minutes)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--first-page-only", action="store_true", help="stop at the first page (graders untimed)"
    )
    parser.add_argument(
        "--ref", default="HEAD", help="the commit to clone (an older one: a 'before' figure)"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    tag = f"firstrun-{uuid.uuid4().hex[:8]}"
    images = {"node": f"course-sandbox-node:{tag}", "python": f"course-sandbox-python:{tag}"}
    bases = (
        {"node": f"course-sandbox-base:{tag}", "python": f"course-sandbox-python-base:{tag}"}
        if args.fresh_bases
        else {}
    )
    workdir = Path(tempfile.mkdtemp(prefix="first-run-"))
    clone = workdir / "repo"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", args.ref], check=True)
    commit = _git(clone, "rev-parse", "--short", "HEAD")
    port, valkey_port, metrics_port = _free_port(), _free_port(), _free_port_pair()
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN_SETTINGS} | {
        "UV_CACHE_DIR": str(workdir / "uv-cache"),
        "PIP_NO_CACHE_DIR": "1",
        "PORT": str(port),
        "VALKEY_PORT": str(valkey_port),
        "GRADER_METRICS_PORT": str(metrics_port),
        "SANDBOX_IMAGE": images["node"],
        "PYTHON_SANDBOX_IMAGE": images["python"],
        "SANDBOX_BUILD_NO_CACHE": "1",
    }
    if bases:
        env |= {
            "SANDBOX_OFFLINE_BASE": bases["node"],
            "PYTHON_SANDBOX_OFFLINE_BASE": bases["python"],
        }
    uv_on_path = shutil.which("uv")
    load = os.getloadavg()[0]
    print(
        f"first run: make run on a fresh clone of {commit} in {workdir}, empty uv and pip "
        f"caches, sandbox images {images['node']} and {images['python']} (no layer cache); "
        + (
            "offline bases made too"
            if bases
            else f"offline bases reused ({', '.join(SHARED_BASES)})"
        )
        + f"; uv {'on PATH: ' + uv_on_path if uv_on_path else 'installed by make run'}; "
        f"load average {load:.1f} on {os.cpu_count()} CPUs",
        flush=True,
    )

    console: list[tuple[float, str]] = []
    started = time.monotonic()
    # Run in the background by a shell without job control (`nohup make bench &`, a script),
    # this process ignores SIGINT, and make and the platform would inherit that and never see
    # the Ctrl-C below: a handler of its own here leaves them the default, as under a terminal.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    make = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: Ctrl-C is sent to that group
    )
    reader = threading.Thread(target=_read, args=(make, started, console), daemon=True)
    reader.start()
    figures: dict = {}
    try:
        figures["first_page_seconds"] = _until(
            lambda: _answers(f"http://127.0.0.1:{port}/"), make, started, PAGE_LIMIT_SECONDS
        )
        readyz = (
            {}
            if args.first_page_only
            else {
                kind: f"http://127.0.0.1:{metrics_port + number}/readyz"
                for number, kind in enumerate(("node", "python"))
            }
        )
        figures["graders_ready_seconds"] = _each_until(
            {kind: (lambda url=url: _answers(url)) for kind, url in readyz.items()},
            make,
            started,
            GRADERS_LIMIT_SECONDS,
        )
    finally:
        figures["stopped_cleanly"] = _stop(make)
        reader.join(timeout=10)
        figures["base_used"] = _bases_used(clone, images)
        figures["leftover_processes"] = _leftovers(workdir)
        _remove_images([*images.values(), *bases.values()])
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    figures |= {
        "target_seconds": TARGET_SECONDS,
        "commit": commit,
        "steps_seconds": _steps(console),
        "console": [f"{at:7.1f} {line}" for at, line in console],
        "fresh": ["clone", "uv cache", "pip cache", "sandbox images", "layer cache"]
        + (["offline bases"] if bases else []),
        "reused": ([] if bases else list(SHARED_BASES)) + (["uv on PATH"] if uv_on_path else []),
        "load_average_at_start": round(load, 2),
        "cpus": os.cpu_count(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    _print(figures)
    page = figures["first_page_seconds"]
    return 0 if page is not None and figures["stopped_cleanly"] else 1


def _read(make: subprocess.Popen, started: float, console: list[tuple[float, str]]) -> None:
    for line in make.stdout:
        console.append((time.monotonic() - started, line.rstrip("\n")))


def _until(check, make: subprocess.Popen, started: float, limit: float) -> float | None:
    """Seconds from `started` until `check()` holds; None if make ended or `limit` passed."""
    while time.monotonic() - started < limit and make.poll() is None:
        if check():
            return round(time.monotonic() - started, 2)
        time.sleep(0.1)
    return None


def _each_until(checks: dict, make: subprocess.Popen, started: float, limit: float) -> dict:
    """`_until` for several checks at once, each timed on its own."""
    times: dict[str, float | None] = dict.fromkeys(checks)
    while time.monotonic() - started < limit and make.poll() is None:
        for name, check in checks.items():
            if times[name] is None and check():
                times[name] = round(time.monotonic() - started, 2)
        if None not in times.values():
            break
        time.sleep(0.1)
    return times


def _answers(url: str) -> bool:
    try:
        with DIRECT.open(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError):
        return False  # not listening yet, or something else has the port (a busy host)


def _stop(make: subprocess.Popen) -> bool:
    """Ctrl-C as a terminal sends it; whether everything stopped within the limit."""
    if make.poll() is None:
        os.killpg(make.pid, signal.SIGINT)
    try:
        make.wait(timeout=STOP_LIMIT_SECONDS)
        return True
    except subprocess.TimeoutExpired:
        os.killpg(make.pid, signal.SIGKILL)
        make.wait()
        return False


def _leftovers(workdir: Path) -> list[str]:
    """Processes still running from the clone (killed here: a failed stop leaves none)."""
    left = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(workdir) in command:
            left.append(f"{entry.name} {command[:120]}")
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass
    return left


def _bases_used(clone: Path, images: dict[str, str]) -> dict[str, str]:
    """What each image was built on, from its build log ("... built on BASE")."""
    used = {}
    for kind, image in images.items():
        log = clone / "var" / "images" / (re.sub(r"[^A-Za-z0-9_.-]", "_", image) + ".log")
        text = log.read_text(errors="replace") if log.exists() else ""
        match = re.search(r"built on (\S+)", text)
        used[kind] = match.group(1) if match else (text.strip().splitlines() or ["?"])[-1]
    return used


def _remove_images(tags: list[str]) -> None:
    for tag in tags:
        subprocess.run(["docker", "image", "rm", tag], capture_output=True, check=False)


def _steps(console: list[tuple[float, str]]) -> dict[str, float]:
    """Each step's own figure: `run: LABEL: done in 4.2 s` (or built, failed, ...)."""
    steps = {}
    for _, line in console:
        match = re.match(r"run: (.+?): (?:[^:]+) in ([0-9.]+) s$", line)
        if match:
            steps[match.group(1)] = float(match.group(2))
    return steps


def _print(figures: dict) -> None:
    page = figures["first_page_seconds"]
    verdict = "not reached" if page is None else ("met" if page <= TARGET_SECONDS else "missed")
    shown = "-" if page is None else f"{page:.1f} s"
    print(f"  {'first page':<58} {shown:>9}   target <= {TARGET_SECONDS:.0f} s: {verdict}")
    for kind, seconds in figures["graders_ready_seconds"].items():
        shown = "-" if seconds is None else f"{seconds:.1f} s"
        base = figures["base_used"].get(kind, "?")
        print(f"  {kind + ' grader ready (image on ' + base + ')':<58} {shown:>9}")
    print("  steps, as the console timed them:")
    for label, seconds in figures["steps_seconds"].items():
        print(f"    {label[:84]:<84} {seconds:>7.1f} s")
    print(
        f"  stopped cleanly: {'yes' if figures['stopped_cleanly'] else 'NO'}; "
        f"processes left: {len(figures['leftover_processes'])}"
    )


def _git(directory: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=directory, capture_output=True, text=True, check=True
    ).stdout.strip()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _free_port_pair() -> int:
    """A port whose next one is free too (make run's second grader serves there)."""
    while True:
        port = _free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue


if __name__ == "__main__":
    sys.exit(main())
