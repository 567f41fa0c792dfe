"""A school's own chat endpoint, against a real local server speaking the same protocol.

The server (tests/web/ada/ada_support.py) records every request: what it must receive when
the school turned the endpoint on, and that it receives nothing when the school did not.
Each way an endpoint can fail falls back to the offline answer, with a note that says so.
"""

from __future__ import annotations

import logging
import socket

import pytest
from sqlalchemy import select

from portal.models import AdaConsultation
from tests.web.ada.ada_support import (
    ASK_PATH,
    ENDPOINT_ANSWER,
    add_submission,
    ask,
    configure_endpoint,
)
from tests.web.xss_corpus import dangerous_markup

KEY = "sk-test-SECRET-123"


@pytest.fixture
def app_config(app_config):
    """A short timeout, so the slow endpoint's test takes a moment, not 20 seconds."""
    return {**app_config, "ADA_ENDPOINT_TIMEOUT_SECONDS": 0.5}


def _last(db) -> AdaConsultation:
    db.expire_all()
    return db.scalars(select(AdaConsultation).order_by(AdaConsultation.id.desc())).first()


def test_the_endpoint_gets_the_question_the_passages_and_the_facts(
    db, default_school, fake_endpoint, premium_browser, premium_student
):
    submission = add_submission(db, premium_student)
    configure_endpoint(db, default_school, fake_endpoint.base_url, key=KEY)
    page = premium_browser.client.get(ASK_PATH).get_data(as_text=True)
    assert "Your question and your latest submission are sent to 127.0.0.1 to answer it." in page

    response = ask(premium_browser, "Why did my worker not speed things up?")

    assert response.status_code == 302
    [received] = fake_endpoint.requests
    assert received["path"] == "/v1/chat/completions"
    assert received["authorization"] == f"Bearer {KEY}"
    body = received["json"]
    assert body["model"] == "tiny-tutor-1"
    system, user = body["messages"]
    assert (system["role"], user["role"]) == ("system", "user")
    assert user["content"] == "Why did my worker not speed things up?"
    assert "You are A.D.A." in system["content"]
    assert "[step_id: worker-threads]" in system["content"]
    assert "Export `solve({ seed, items }, { workers })`" in system["content"]
    assert "0.97x as fast" in system["content"]
    assert "At most 1 of your 2 workers ran at once" in system["content"]

    stored = _last(db)
    assert (stored.engine, stored.note, stored.submission_id) == ("endpoint", "", submission.id)
    assert stored.answer.startswith(ENDPOINT_ANSWER)
    assert stored.citations[0]["step_id"] == "worker-threads"
    html = premium_browser.client.get(ASK_PATH).get_data(as_text=True)
    assert ENDPOINT_ANSWER in html and "through your school" in html
    assert KEY not in html


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("error500", "answered with an error (HTTP 500)"),
        ("slow", "timed out"),
        ("invalid_json", "sent an answer that is not valid JSON"),
        ("empty", "sent an empty answer"),
    ],
)
def test_each_failure_falls_back_to_the_course_material_with_a_note(
    db, default_school, fake_endpoint, premium_browser, mode, reason, caplog
):
    fake_endpoint.mode = mode
    configure_endpoint(db, default_school, fake_endpoint.base_url, key=KEY)
    caplog.set_level(logging.DEBUG)

    response = ask(premium_browser, "When should I use spawn instead of exec?")

    assert response.status_code == 302
    assert len(fake_endpoint.requests) == 1
    stored = _last(db)
    note = (
        f"The school's assistant did not answer ({reason}); "
        "this answer comes from the course material."
    )
    assert (stored.engine, stored.note) == ("offline", note)
    assert stored.citations[0]["step_id"] == "child-processes"
    html = premium_browser.client.get(ASK_PATH).get_data(as_text=True)
    assert note.replace("'", "&#39;") in html
    assert KEY not in html and KEY not in caplog.text and KEY not in stored.note


def test_a_refused_connection_falls_back_with_a_note(db, default_school, premium_browser):
    with socket.socket() as probe:  # a port nobody listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    configure_endpoint(db, default_school, f"http://127.0.0.1:{port}/v1", key=KEY)

    assert ask(premium_browser, "What is the event loop?").status_code == 302

    stored = _last(db)
    assert stored.engine == "offline"
    assert stored.note == (
        "The school's assistant did not answer (could not be reached); "
        "this answer comes from the course material."
    )
    assert stored.citations[0]["step_id"] == "event-loop"


def test_a_configured_but_disabled_endpoint_receives_nothing(
    db, default_school, fake_endpoint, premium_browser, premium_student
):
    add_submission(db, premium_student)
    configure_endpoint(db, default_school, fake_endpoint.base_url, enabled=False, key=KEY)

    page = premium_browser.client.get(ASK_PATH).get_data(as_text=True)
    assert "Your question and your latest submission stay on this platform." in page
    assert "127.0.0.1" not in page
    assert ask(premium_browser, "Why did my worker not speed things up?").status_code == 302

    assert fake_endpoint.requests == []
    stored = _last(db)
    assert (stored.engine, stored.note) == ("offline", "")


def test_markup_in_the_endpoint_answer_renders_as_text(
    db, default_school, fake_endpoint, premium_browser
):
    fake_endpoint.mode = "payloads"
    configure_endpoint(db, default_school, fake_endpoint.base_url, key=KEY)
    assert ask(premium_browser, "Show me some HTML").status_code == 302

    html = premium_browser.client.get(ASK_PATH).get_data(as_text=True)

    assert _last(db).engine == "endpoint"
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    assert dangerous_markup(html) == []


def test_a_question_with_nothing_to_look_up_is_not_sent(
    db, default_school, fake_endpoint, premium_browser
):
    configure_endpoint(db, default_school, fake_endpoint.base_url, key=KEY)

    assert ask(premium_browser, "?" * 1000).status_code == 302

    assert fake_endpoint.requests == []
    stored = _last(db)
    assert stored.engine == "offline"
    assert stored.answer.startswith("I did not understand the question")


def test_the_endpoint_answer_markdown_is_rendered_below_the_page_headings(
    db, default_school, fake_endpoint, premium_browser
):
    fake_endpoint.mode = "markdown"
    configure_endpoint(db, default_school, fake_endpoint.base_url, key=KEY)
    assert ask(premium_browser, "How do workers talk?").status_code == 302

    html = premium_browser.client.get(ASK_PATH).get_data(as_text=True)

    assert "<h4>Messages</h4>" in html and "<h1>Messages" not in html
    assert "<code>postMessage</code>" in html
