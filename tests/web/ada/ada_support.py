"""What the A.D.A. tests share: submissions of known causes, asking, and a fake chat endpoint.

The fake endpoint is a real HTTP server (http.server in a thread on 127.0.0.1, a random
port) that speaks the OpenAI chat-completions protocol, records every request it gets,
and can be told to fail in each way a real one can.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from sqlalchemy.orm import Session

import contract
from grader.adapters.node.labs.kinds import lab_kind
from portal.models import School, Submission, User, utc_now
from tests.grader.diagnosis_cases import SLOW_SPLIT
from tests.web.conftest import Browser
from tests.web.xss_corpus import PAYLOADS

ASK_PATH = "/courses/node-workers/ada"
ENDPOINT_ANSWER = "Your workers ran one after another, so nothing ran in parallel."

# A failed Unblock the Loop run (diagnosis_cases.SLOW_SPLIT): right checksum and a free
# main thread, but two workers that ran one after another and barely beat the blocking run.
SLOW_SPLIT_CHECKS = [
    {"name": "correct_result", "passed": True, "message": "solve() returned the right checksum."},
    {
        "name": "splits_over_workers",
        "passed": False,
        "message": "With workers: 2, at most 1 worker ran at once.",
    },
    {"name": "speeds_up", "passed": False, "message": "2 workers finished 0.97x as fast."},
]


def graded_analysis(lab_id: str, verdict: str, checks: list, measurements: dict, code: str):
    """What the grader's lab kind says the portal should show for these numbers and this
    code (GradeResult version 2), as the portal stores it. The node-workers labs' ids are
    their kinds' names."""
    shown = lab_kind(lab_id).analyse(
        verdict, [contract.CheckResult(**check) for check in checks], measurements, code
    )
    return {
        "findings": list(shown.findings),
        "diagnoses": [contract.encode(diagnosis) for diagnosis in shown.diagnoses],
        "charts": [contract.encode(chart) for chart in shown.charts],
    }


def add_submission(
    db: Session,
    user: User,
    lab_id: str = "unblock-the-loop",
    verdict: str = "failed",
    checks: list | None = None,
    measurements: dict | None = None,
    code: str = "module.exports = { solve }",
) -> Submission:
    """A graded submission of `user` in node-workers, with the analysis its grader sends."""
    checks = SLOW_SPLIT_CHECKS if checks is None else checks
    measurements = SLOW_SPLIT if measurements is None else measurements
    submission = Submission(
        tenant_id=user.tenant_id,
        user_id=user.id,
        course_id="node-workers",
        lab_id=lab_id,
        code=code,
        entrypoint="main.js",
        status="graded",
        verdict=verdict,
        score=0.6 if verdict == "failed" else 1.0,
        gradable=True,
        feedback="",
        checks=checks,
        output={"stdout": "", "truncated": False, "bytes": 0},
        measurements=measurements,
        analysis=graded_analysis(lab_id, verdict, checks, measurements, code),
        graded_at=utc_now(),
    )
    db.add(submission)
    db.commit()
    return submission


def ask(browser: Browser, question: str, path: str = ASK_PATH):
    """Post a question on the A.D.A. page (with the page's CSRF token)."""
    return browser.post_form(path, {"question": question})


# --- the fake endpoint --------------------------------------------------------------------


@dataclass
class FakeEndpoint:
    """A chat-completions server on 127.0.0.1; `mode` says how it answers."""

    port: int
    mode: str = "ok"  # ok, error500, slow, invalid_json, empty, payloads, markdown
    requests: list[dict] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


def endpoint_handler(endpoint: FakeEndpoint):
    """The request handler class of a fake endpoint serving `endpoint`'s script."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            endpoint.requests.append(
                {
                    "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                    "json": json.loads(body or b"{}"),
                }
            )
            if endpoint.mode == "slow":
                endpoint.release.wait(10)  # far beyond the test's timeout; released at teardown
            if endpoint.mode == "error500":
                self._send(500, b'{"error": "overloaded"}')
            elif endpoint.mode == "invalid_json":
                self._send(200, b"<html>not json</html>")
            elif endpoint.mode == "payloads":
                content = "\n\n".join(f"- {payload}" for payload in PAYLOADS)
                answer = {"choices": [{"message": {"role": "assistant", "content": content}}]}
                self._send(200, json.dumps(answer).encode())
            elif endpoint.mode == "markdown":
                content = "# Messages\n\nThey use `postMessage`."
                answer = {"choices": [{"message": {"role": "assistant", "content": content}}]}
                self._send(200, json.dumps(answer).encode())
            elif endpoint.mode == "empty":
                self._send(200, json.dumps({"choices": [{"message": {"content": " "}}]}).encode())
            else:
                answer = {
                    "choices": [{"message": {"role": "assistant", "content": ENDPOINT_ANSWER}}]
                }
                self._send(200, json.dumps(answer).encode())

        def _send(self, status: int, body: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def log_message(self, format, *args) -> None:  # noqa: A002
            pass

    return Handler


def configure_endpoint(
    db: Session, school: School, url: str, enabled: bool = True, key: str = "sk-test-SECRET-123"
) -> None:
    """Set the school's endpoint directly (the settings form has its own tests)."""
    school = db.get(School, school.id)
    school.ada_endpoint_enabled = enabled
    school.ada_endpoint_url = url
    school.ada_endpoint_model = "tiny-tutor-1"
    school.ada_endpoint_key = key
    db.commit()


def wait_for(predicate, seconds: float = 2.0) -> bool:
    """Whether `predicate` becomes true within `seconds` (a server thread may lag)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
