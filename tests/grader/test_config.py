"""A grader service is named by configuration: its adapter, its queue and its image.

GRADER_ADAPTER picks the language adapter (a short name or an import path), GRADER_QUEUE the
queue its worker consumes, and SANDBOX_IMAGE overrides the adapter's own image. A grader
whose adapter does not exist refuses to start, naming the adapters it knows.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

import contract
from grader.adapter import AdapterError, load_adapter
from grader.adapters.node import ADAPTER as NODE
from grader.cli import main
from grader.config import ConfigError, GraderConfig

GRADER = str(Path(sys.executable).parent / "grader")


def test_the_defaults_are_node_on_the_grading_queue_with_nodes_image():
    config = GraderConfig.from_env({})
    assert (config.adapter, config.queue) == ("node", "grading")
    assert config.sandbox_image == NODE.sandbox_image == "course-sandbox-node:1"
    assert config.loaded_adapter() is NODE


def test_the_environment_names_the_adapter_queue_and_image():
    config = GraderConfig.from_env(
        {
            "GRADER_ADAPTER": "grader.adapters.node",
            "GRADER_QUEUE": "grading-other",
            "SANDBOX_IMAGE": "registry.example/sandbox:7",
        }
    )
    assert config.queue == "grading-other"
    assert config.sandbox_image == "registry.example/sandbox:7"
    assert config.loaded_adapter() is NODE  # the import path and the short name agree


def test_an_adapter_outside_the_grader_needs_no_runner_edit(tmp_path, monkeypatch):
    """A package defining ADAPTER, named by its import path, is all a new language needs."""
    module = f"adapter_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(
        "import dataclasses\n"
        "from grader.adapters.node import ADAPTER as NODE\n"
        "ADAPTER = dataclasses.replace(NODE, name='other', sandbox_image='other-sandbox:1')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    config = GraderConfig.from_env({"GRADER_ADAPTER": module})
    assert config.loaded_adapter().name == "other"
    assert config.sandbox_image == "other-sandbox:1"  # the adapter's image is the default


def test_the_host_cgroup_dir_is_the_hosts_own_unless_a_container_mounts_it_elsewhere():
    assert GraderConfig.from_env({}).host_cgroup_dir == Path("/sys/fs/cgroup")
    moved = GraderConfig.from_env({"GRADER_HOST_CGROUP_DIR": "/host/sys/fs/cgroup"})
    assert moved.host_cgroup_dir == Path("/host/sys/fs/cgroup")


def test_a_relative_host_cgroup_dir_is_refused_and_the_worker_does_not_start(monkeypatch, capsys):
    with pytest.raises(ConfigError, match="GRADER_HOST_CGROUP_DIR='sys/fs/cgroup'"):
        GraderConfig.from_env({"GRADER_HOST_CGROUP_DIR": "sys/fs/cgroup"})
    monkeypatch.setenv("GRADER_HOST_CGROUP_DIR", "host-cgroup")
    assert main(["worker", "--burst", "--redis-url", "redis://127.0.0.1:1/0"]) == 2
    assert "expected an absolute path" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["cobol", "grader.adapters.cobol", "../node", "grader.config"])
def test_an_unknown_adapter_is_refused_naming_the_known_ones(name):
    with pytest.raises(AdapterError, match="known: node"):
        GraderConfig.from_env({"GRADER_ADAPTER": name})


def test_a_lab_kind_the_adapter_does_not_know_is_named_with_the_known_ones():
    with pytest.raises(KeyError, match="known: spawn-vs-exec, thread-lab, unblock-the-loop"):
        NODE.lab_kind("beat-the-gil")


def test_grader_worker_with_an_unknown_adapter_exits_2_naming_the_known_ones(monkeypatch, capsys):
    monkeypatch.setenv("GRADER_ADAPTER", "cobol")
    assert main(["worker", "--burst", "--redis-url", "redis://127.0.0.1:1/0"]) == 2
    error = capsys.readouterr().err
    assert "GRADER_ADAPTER='cobol' names no adapter" in error and "known: node" in error


def test_grader_worker_process_with_an_unknown_adapter_exits_2_at_start():
    """As an operator starts it: the process ends at once, before any connection."""
    started = subprocess.run(
        [GRADER, "worker", "--redis-url", "redis://127.0.0.1:1/0"],
        env={"PATH": "/usr/bin:/bin", "GRADER_ADAPTER": "python-typo", "GRADER_METRICS_PORT": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 2
    assert "names no adapter; known: node" in started.stderr


def test_grader_grade_refuses_an_unknown_adapter_option(tmp_path, capsys):
    solution = tmp_path / "main.js"
    solution.write_text("console.log('hi')\n")
    code = main(["grade", "--adapter", "cobol", "--lab", "thread-lab", str(solution)])
    assert code == 2
    assert "known: node" in capsys.readouterr().err


def test_adapters_are_loaded_once():
    assert load_adapter("node") is load_adapter("node")
    assert dataclasses.is_dataclass(load_adapter("node"))


@pytest.mark.valkey
def test_the_worker_consumes_the_configured_queue_only(redis_url):
    connection = redis.Redis.from_url(redis_url)
    own = Queue("grading-other", connection=connection, serializer=JSONSerializer)
    nodes = Queue(contract.GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
    # Payloads the job refuses at once (no sandbox needed): what matters is who takes them.
    taken = own.enqueue(contract.RUN_JOB, {}, job_id="run-taken")
    left = nodes.enqueue(contract.RUN_JOB, {}, job_id="run-left")
    worker = subprocess.run(
        [GRADER, "worker", "--burst", "--redis-url", redis_url],
        env={"PATH": "/usr/bin:/bin", "GRADER_QUEUE": "grading-other", "GRADER_METRICS_PORT": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr
    assert own.count == 0
    assert Job.fetch(taken.id, connection=connection, serializer=JSONSerializer).is_failed
    assert nodes.job_ids == [left.id]  # the other grader's queue is left alone
    connection.close()
