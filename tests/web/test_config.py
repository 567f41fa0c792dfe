"""Configuration and content: defaults that work, and clear refusals when they cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal import create_app
from portal.config import ConfigError, load_config
from portal.courses.loader import ContentError, load_catalogue

REPO_CONTENT = Path(__file__).resolve().parents[2] / "content"


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(str(tmp_path), {"DATABASE_URL": "sqlite://"})


def test_development_generates_and_keeps_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    first = load_config(str(tmp_path / "instance"), {"DATABASE_URL": "sqlite://"})
    second = load_config(str(tmp_path / "instance"), {"DATABASE_URL": "sqlite://"})
    assert len(first["SECRET_KEY"]) == 64
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_variables_configure_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_DATABASE_URL", "sqlite:///" + str(tmp_path / "x.sqlite3"))
    monkeypatch.setenv("REDIS_URL", "redis://example.invalid:6379/3")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    config = load_config(str(tmp_path))
    assert config["DATABASE_URL"].endswith("x.sqlite3")
    assert config["REDIS_URL"] == "redis://example.invalid:6379/3"
    assert config["SECRET_KEY"] == "from-env"


def test_the_shipped_course_loads():
    catalogue = load_catalogue(REPO_CONTENT)
    lab = catalogue.lab("node-workers", "thread-lab")
    assert lab is not None
    assert (lab.grader, lab.kind, lab.queue_name) == ("node-sandbox", "thread-lab", "grading")
    assert lab.limits.wall_seconds == 5.0 and lab.limits.pids == 64


COURSE = """\
id: demo
title: Demo
summary: A demo.
labs:
  - id: lab
    title: Lab
    mission: Do it.
    grader: node-sandbox
    kind: thread-lab
    starter_code: ""
    limits: {wall_seconds: 5, memory_mib: 256, cpus: 1.0, pids: 64, output_bytes: 1048576}
    check_config: {}
"""


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (COURSE.replace("cpus: 1.0", "cpus: lots"), "labs[0].limits.cpus: expected a number"),
        (COURSE.replace("memory_mib: 256", "memory_mib: 25.5"), "labs[0].limits.memory_mib"),
        (COURSE.replace("grader: node-sandbox", "grader: cobol"), "labs[0].grader: unknown"),
        (COURSE.replace("title: Demo", "title: ''"), "title: expected a non-empty string"),
        (COURSE.replace("    mission: Do it.\n", ""), "labs[0].mission: expected"),
        (COURSE + "  - nope\n", "labs[1]: expected a mapping"),
        ("id: [unclosed", "not valid YAML"),
    ],
)
def test_an_invalid_course_file_stops_the_app_with_path_and_field(tmp_path, broken, message):
    course_file = tmp_path / "courses" / "demo" / "course.yaml"
    course_file.parent.mkdir(parents=True)
    course_file.write_text(broken)
    with pytest.raises(ContentError) as error:
        create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "CONTENT_DIR": tmp_path})
    assert str(error.value).startswith(f"{course_file}: ")
    assert message in str(error.value)
