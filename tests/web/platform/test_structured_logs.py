"""JSON logs follow one submission through web, grader and web-worker, and show no secret.

A student logs in, submits Thread Lab code and resets the password, with JSON logs on;
a real grader worker (LOG_FORMAT=json) grades it in the real sandbox and the web-worker
records the result. Every line any of them wrote is one JSON object; the submission id
is on the web's "queued", the grader's "picked up", "container started" and "verdict",
and the web-worker's "recorded"; no password, reset token, session cookie, secret key or
line of the student's code appears anywhere.
"""

from __future__ import annotations

import email
import email.policy
import json
import logging
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from contract.logs import JsonFormatter, RedactSecrets, configure_logging, log_context

SOLUTION = Path(__file__).parents[2] / "integration" / "solutions" / "thread_lab_commonjs.js"
GRADER = Path(sys.executable).parent / "grader"
EMAIL = "ada@example.org"
LINK = re.compile(r"/auth/reset\?token=([\w-]+)")


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """JSON logs, as PORTAL_ENV=production would choose them."""
    return {**app_config, "LOG_FORMAT": "json"}


@pytest.fixture
def restore_logging():
    """Put the root logger back as it was (the test installs the processes' handlers)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def json_lines(text: str, where: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.strip()]
    events = []
    for line in lines:
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"{where} wrote a line that is not JSON: {line!r}")
    return events


def mailed_token(outbox: Path) -> str:
    (path,) = outbox.glob("*.eml")
    body = email.message_from_bytes(path.read_bytes(), policy=email.policy.default).get_content()
    match = LINK.search(body)
    assert match, body
    return match.group(1)


@pytest.mark.docker
def test_a_submission_is_followed_through_json_logs_that_hold_no_secret(
    app,
    make_user,
    browser,
    redis_url,
    sandbox_image,
    capsys,
    restore_logging,
):
    password, new_password = f"pw-{secrets.token_hex(8)}", f"new-pw-{secrets.token_hex(8)}"
    code_marker = f"code-marker-{secrets.token_hex(8)}"
    code = f"// {code_marker}\n{SOLUTION.read_text()}"
    make_user(EMAIL, password)
    configure_logging(app.config["LOG_FORMAT"], service="web")  # as portal.wsgi does
    capsys.readouterr()

    assert browser.log_in(EMAIL, password).status_code == 302
    submitted = browser.submit_code(code)
    assert submitted.status_code == 302
    submission_id = submitted.headers["Location"].rsplit("=", 1)[1]
    assert browser.post_form("/auth/forgot", {"email": EMAIL}).status_code == 200
    token = mailed_token(Path(app.config["MAIL_OUTBOX_DIR"]))
    reset = browser.post_form(
        "/auth/reset", {"token": token, "password": new_password}, form_page="/auth/forgot"
    )
    assert reset.status_code == 302
    cookie = browser.client.get_cookie("session")
    assert cookie is not None
    web_output = capsys.readouterr().err

    grader = subprocess.run(
        [str(GRADER), "worker", "--burst", "--redis-url", redis_url],
        env={
            "PATH": "/usr/bin:/bin",
            "SANDBOX_IMAGE": sandbox_image,
            "LOG_FORMAT": "json",
            "GRADER_METRICS_PORT": "0",
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert grader.returncode == 0, grader.stderr
    recorded = app.test_cli_runner().invoke(args=["results-worker", "--burst"])
    assert recorded.exit_code == 0, recorded.output

    web = json_lines(web_output, "the web")
    graded = json_lines(grader.stdout + grader.stderr, "the grader")
    worker = json_lines(recorded.stderr, "the web-worker")

    def events_of(events: list[dict], service: str) -> list[str]:
        ours = [e for e in events if e.get("submission_id") == submission_id]
        return [e["event"] for e in ours if e["service"] == service and "event" in e]

    assert events_of(web, "web") == ["submission.queued"]
    assert events_of(graded, "grader") == [
        "grading.started",
        "container.started",
        "grading.verdict",
    ]
    assert events_of(worker, "web-worker") == ["result.recorded"]
    verdicts = [
        e["verdict"]
        for e in graded + worker
        if e.get("event") in ("grading.verdict", "result.recorded")
    ]
    assert verdicts == ["passed", "passed"]
    assert any(e["logger"].startswith("rq.") for e in graded + worker)  # RQ's lines are JSON too

    everything = web_output + grader.stdout + grader.stderr + recorded.output
    for secret in (
        password,
        new_password,
        token,
        cookie.value,
        code_marker,
        app.config["SECRET_KEY"],
    ):
        assert secret not in everything


def record(message: str, *args, **extra) -> logging.LogRecord:
    made = logging.LogRecord("portal.test", logging.INFO, __file__, 1, message, args, None)
    for name, value in extra.items():
        setattr(made, name, value)
    return made


def formatted(made: logging.LogRecord) -> dict:
    RedactSecrets().filter(made)
    return json.loads(JsonFormatter("web").format(made))


@pytest.mark.parametrize(
    ("made", "secret"),
    [
        (record("login", password="hunter2-secret"), "hunter2-secret"),
        (record("reset", reset_token="tok-123456"), "tok-123456"),
        (record("payload %s", {"files": [{"text": "let a = 1"}], "id": 5}), "let a = 1"),
        (record("queued", payload={"code": "while(true){}", "lab": "x"}), "while(true){}"),
        (record("GET /auth/reset?token=abc123def&x=1"), "abc123def"),
        (record("connect to postgresql://platform:pg-pass@db/portal"), "pg-pass"),
        (record("config %s", {"SECRET_KEY": "k-98765"}), "k-98765"),
        (record("header", authorization="Bearer b-112233"), "b-112233"),
    ],
    ids=["password", "token-field", "files", "code", "query", "url", "secret-key", "auth"],
)
def test_known_secret_names_are_redacted(made, secret):
    event = formatted(made)
    assert secret not in json.dumps(event)
    assert "[redacted]" in json.dumps(event)


def test_an_event_carries_its_context_and_fields():
    with log_context(submission_id="42", tenant_id="7"):
        event = formatted(record("queued", event="submission.queued", lab_id="thread-lab"))
    assert {k: event[k] for k in ("service", "level", "logger", "message")} == {
        "service": "web",
        "level": "info",
        "logger": "portal.test",
        "message": "queued",
    }
    assert (event["submission_id"], event["tenant_id"], event["lab_id"]) == (
        "42",
        "7",
        "thread-lab",
    )
    assert "submission_id" not in formatted(record("later"))
