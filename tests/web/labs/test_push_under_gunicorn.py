"""200 pages waiting for their verdict under the real gunicorn, as every deployment runs it.

gunicorn with services/web/gunicorn.conf.py and two workers, a real Valkey, the real
results worker in a process of its own: 200 open streams must leave the portal answering
other pages (a sync worker would be held whole by one stream: every page would hang), and
the one publish of the recorded verdict must reach every one of them, across processes.
No grader runs: the result is put on the results queue as a grader would.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import redis
from rq import Queue
from rq.serializers import JSONSerializer

import contract
from portal.labs import push
from tests.web.conftest import grade_result

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[3]
WAITING = 200
PATIENCE_SECONDS = 30  # a bound for a hang, not a measure of speed
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is answered as it is: the test reads where it points


class Student:
    """The demo student in a browser of urllib's: cookies kept, forms with their token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirects()
        )

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=PATIENCE_SECONDS) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        """The status and where it sends the browser next."""
        token = TOKEN.search(self.get(path)[1])
        assert token, f"no CSRF token on {path}"
        body = urllib.parse.urlencode({**fields, "csrf_token": token.group(1)}).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=PATIENCE_SECONDS) as answer:
                return answer.status, ""
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", "")

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)


def open_stream(port: int, path: str, cookie: str) -> socket.socket:
    stream = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE_SECONDS)
    stream.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
        f"Cookie: {cookie}\r\n\r\n".encode()
    )
    return stream


def read_until(stream: socket.socket, marker: bytes, seen: bytes = b"") -> bytes:
    while marker not in seen:
        chunk = stream.recv(4096)
        assert chunk, f"the stream closed before {marker!r}: {seen[-300:]!r}"
        seen += chunk
    return seen


@pytest.fixture
def platform(request, tmp_path: Path, redis_url: str):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "REDIS_URL": redis_url,
        "SECRET_KEY": "push-test-secret",
        "WEB_CONCURRENCY": "2",  # as compose.yaml's web
        **getattr(request, "param", {}),
    }
    flask = [str(BIN / "flask"), "--app", "portal"]
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([*flask, *command], env=env, cwd=tmp_path, check=True, capture_output=True)
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-c",
                str(REPO / "services" / "web" / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{port}",
                # Far longer than the tests wait: a stream that held a stopping worker
                # would be seen hanging, not cut by gunicorn's own default of 30 s.
                "--graceful-timeout",
                "600",
                "portal.wsgi:app",
            ],
            env=env,
            cwd=tmp_path,
            stdout=output,
            stderr=output,
            start_new_session=True,  # its workers end with it, whatever the test did
        )
    try:
        deadline = time.monotonic() + PATIENCE_SECONDS
        while True:
            assert server.poll() is None, log.read_text()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        yield port, env, flask, tmp_path, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_200_waiting_pages_leave_the_portal_serving_and_all_get_the_verdict(platform, redis_url):
    port, env, flask, cwd, _ = platform
    student = Student(f"http://127.0.0.1:{port}")
    status, _ = student.post_form(
        "/auth/login", {"email": "student@example.org", "password": "student-demo-pass"}
    )
    assert status == 302
    lab = "/courses/node-workers/labs/thread-lab"
    status, landed = student.post_form(lab, {"code": "console.log('waiting')"})
    assert status == 302 and landed.endswith(f"{lab}?submission=1"), landed
    assert 'data-events-url="/submissions/1/events"' in student.get(f"{lab}?submission=1")[1]

    streams = [
        open_stream(port, "/submissions/1/events", student.cookie_header()) for _ in range(WAITING)
    ]
    try:
        seen = [read_until(s, b'"status":"queued"') for s in streams]
        assert all(b"text/event-stream" in head for head in seen)

        # Every stream is open and waiting: the other pages are served all the same.
        for path in ("/", lab, "/submissions/1/status", "/courses/node-workers"):
            status, _ = student.get(path)
            assert status == 200, path

        connection = redis.Redis.from_url(redis_url)
        results = Queue(contract.RESULTS_QUEUE, connection=connection, serializer=JSONSerializer)
        results.enqueue(
            contract.RECORD_RESULT_JOB,
            contract.encode(grade_result("1", "1")),  # the demo school is the first
            job_id=contract.result_job_id("1"),
        )
        subprocess.run(
            [*flask, "results-worker", "--burst"], env=env, cwd=cwd, check=True, capture_output=True
        )
        for stream, before in zip(streams, seen, strict=True):
            read_until(stream, b'"status":"graded","final":true', before)
    finally:
        for stream in streams:
            stream.close()


def test_a_stopping_worker_ends_its_streams_at_once(platform):
    # A stop or a rolling restart: the waiting page's stream ends (and the page polls
    # another worker) instead of holding the worker for its whole graceful timeout.
    port, _env, _flask, _cwd, server = platform
    student = Student(f"http://127.0.0.1:{port}")
    student.post_form(
        "/auth/login", {"email": "student@example.org", "password": "student-demo-pass"}
    )
    status, _ = student.post_form(
        "/courses/node-workers/labs/thread-lab", {"code": "console.log('stop')"}
    )
    assert status == 302
    stream = open_stream(port, "/submissions/1/events", student.cookie_header())
    try:
        seen = read_until(stream, b'"status":"queued"')
        server.terminate()
        deadline = time.monotonic() + PATIENCE_SECONDS  # a bound on a hang
        while chunk := stream.recv(4096):  # to the end: the server closed it
            seen += chunk
            assert time.monotonic() < deadline, f"the stream outlived its worker: {seen!r}"
        assert b'"final":true' not in seen
        assert server.wait(timeout=PATIENCE_SECONDS) == 0
    finally:
        stream.close()


@pytest.mark.parametrize(
    "platform", [{"WEB_CONCURRENCY": "1", "PUSH_STREAMS_PER_WORKER": "1"}], indirect=True
)
def test_a_page_that_left_frees_its_stream_for_the_next_before_any_heartbeat(platform):
    # One worker with one stream slot: a closed tab's slot must come back at the stream's
    # next check, not at its next heartbeat write, or the pages that come after it poll.
    port, *_ = platform
    student = Student(f"http://127.0.0.1:{port}")
    student.post_form(
        "/auth/login", {"email": "student@example.org", "password": "student-demo-pass"}
    )
    status, _ = student.post_form(
        "/courses/node-workers/labs/thread-lab", {"code": "console.log('leaving')"}
    )
    assert status == 302
    cookie = student.cookie_header()

    def answer_to_a_new_page() -> bytes:
        with open_stream(port, "/submissions/1/events", cookie) as stream:
            return read_until(stream, b"\r\n").split(b"\r\n", 1)[0]

    first = open_stream(port, "/submissions/1/events", cookie)
    read_until(first, b'"status":"queued"')
    assert b" 503 " in answer_to_a_new_page()  # the one slot is taken
    first.close()

    # Before any heartbeat could have told the server (its first comes HEARTBEAT_SECONDS
    # after the status), the slot is free again: only the check of the socket frees it.
    deadline = time.monotonic() + push.HEARTBEAT_SECONDS - 2
    while b" 503 " in (answer := answer_to_a_new_page()):
        assert time.monotonic() < deadline, "the slot of a page that left was still held"
        time.sleep(0.5)
    assert b" 200 " in answer, answer
