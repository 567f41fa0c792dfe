"""Configuration and content: defaults that work, and clear refusals when they cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal import create_app
from portal.catalogue.loader import ContentError, load_catalogue
from portal.config import ConfigError, load_config

REPO_CONTENT = Path(__file__).resolve().parents[3] / "content"


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


def test_the_web_refuses_to_start_on_invalid_content_and_says_where(tmp_path):
    course_file = tmp_path / "courses" / "demo" / "course.yaml"
    course_file.parent.mkdir(parents=True)
    course_file.write_text("id: demo\ntitle: ''\n")
    with pytest.raises(ContentError) as error:
        create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "CONTENT_DIR": tmp_path})
    lines = str(error.value).splitlines()
    assert f"{course_file}:2: title: expected a non-empty string" in lines
    assert f"{course_file}:1: steps: missing (required)" in lines
