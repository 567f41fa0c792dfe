"""Grader kinds come from configuration: a new one touches no portal and no contract code.

A copy of the content gives Thread Lab to a grader kind the code has never heard of; the
portal, told by GRADER_QUEUES where that grader listens, puts the submission on its queue.
Without that entry the content is refused at load, naming the setting.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rq import Queue
from rq.serializers import JSONSerializer

import contract
from portal import create_app
from portal.catalogue.loader import ContentError, check_content
from portal.config import ConfigError
from portal.graders import DEFAULT_GRADER_QUEUES, GraderQueuesError, parse_grader_queues
from tests.web.conftest import REPO_ROOT

LAB_COURSE = "courses/node-workers/course.yaml"
NEW_KIND = "rust-sandbox"  # no code anywhere knows this name
NEW_QUEUE = "grading-rust"
SHIPPED = parse_grader_queues(DEFAULT_GRADER_QUEUES)  # the graders the other labs name


def content_with_thread_lab_graded_by(tmp_path: Path, grader: str) -> Path:
    content = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "content", content)
    course = content / LAB_COURSE
    text = course.read_text()
    assert text.count("grader: node-sandbox") >= 1
    course.write_text(text.replace("grader: node-sandbox", f"grader: {grader}", 1))
    return content


@pytest.fixture
def app_config(app_config: dict, tmp_path: Path) -> dict:
    content = content_with_thread_lab_graded_by(tmp_path, NEW_KIND)
    graders = {**SHIPPED, NEW_KIND: NEW_QUEUE}
    return {**app_config, "CONTENT_DIR": str(content), "GRADER_QUEUES": graders}


def test_a_submission_goes_to_the_queue_its_labs_grader_is_configured_on(
    student_browser, redis_connection
):
    response = student_browser.submit_code("console.log('hi')")
    assert response.status_code == 302, response.get_data(as_text=True)

    new = Queue(NEW_QUEUE, connection=redis_connection, serializer=JSONSerializer)
    node = Queue(contract.GRADING_QUEUE, connection=redis_connection, serializer=JSONSerializer)
    assert (new.count, node.count) == (1, 0)
    request = contract.decode(contract.GradeRequest, new.jobs[0].args[0])
    assert request.lab_id == "thread-lab"


def test_a_lab_whose_grader_this_deployment_does_not_run_is_refused_at_load(tmp_path):
    content = content_with_thread_lab_graded_by(tmp_path, NEW_KIND)

    _, problems = check_content(content, SHIPPED)

    assert [problem.message for problem in problems] == [
        f"labs[0].grader: unknown grader {NEW_KIND!r}: this deployment runs node-sandbox, "
        "python-sandbox (GRADER_QUEUES)"
    ]
    with pytest.raises(ContentError):
        create_app({"CONTENT_DIR": str(content), "GRADER_QUEUES": SHIPPED})


def test_grader_queues_are_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(
        "GRADER_QUEUES",
        f" node-sandbox=grading , python-sandbox=grading-python, {NEW_KIND}={NEW_QUEUE} ",
    )
    monkeypatch.setenv("CONTENT_DIR", str(content_with_thread_lab_graded_by(tmp_path, NEW_KIND)))
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")

    app = create_app({"SECRET_KEY": "x"})

    assert app.config["GRADER_QUEUES"] == {
        "node-sandbox": "grading",
        "python-sandbox": "grading-python",
        NEW_KIND: NEW_QUEUE,
    }
    lab = app.extensions["catalogue"].lab("node-workers", "thread-lab")
    assert (lab.grader, lab.queue_name) == (NEW_KIND, NEW_QUEUE)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("node-sandbox", "is not grader-name=queue-name"),
        ("Node=grading", "is not grader-name=queue-name"),
        ("node-sandbox=", "is not grader-name=queue-name"),
        ("node-sandbox=grading,node-sandbox=other", "listed twice"),
        (" , ", "names no grader"),
    ],
)
def test_a_malformed_grader_queues_setting_is_refused_and_says_why(monkeypatch, text, message):
    with pytest.raises(GraderQueuesError, match=message):
        parse_grader_queues(text)
    monkeypatch.setenv("GRADER_QUEUES", text)
    with pytest.raises(ConfigError, match=message):
        create_app({"SECRET_KEY": "x"})
