"""The benchmarks compare by default each sandbox runtime the Engine has: runc always, runsc
only where it is registered, so that `make bench` still runs on a host without gVisor."""

import importlib.util
from pathlib import Path

import pytest

MODULE = Path(__file__).resolve().parents[2] / "bench" / "sandbox_runtimes.py"


@pytest.fixture(scope="module")
def runtimes():
    spec = importlib.util.spec_from_file_location("sandbox_runtimes_under_test", MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Engine:
    """A Docker client whose `docker info` lists the given runtimes."""

    def __init__(self, registered: dict) -> None:
        self.registered = registered
        self.closed = False

    def info(self) -> dict:
        return {"Runtimes": self.registered}

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize(
    ("registered", "expected"),
    [
        ({"runc": {"path": "runc"}}, ["runc"]),
        ({"runsc": {"path": "/usr/bin/runsc"}, "runc": {"path": "runc"}}, ["runc", "runsc"]),
        ({"runc": {}, "kata": {}}, ["runc"]),
        ({}, ["runc"]),
    ],
)
def test_runc_always_then_each_registered_runtime_a_grader_may_choose(
    runtimes, monkeypatch, registered, expected
):
    engine = Engine(registered)
    monkeypatch.setattr(runtimes.docker, "from_env", lambda: engine)

    assert runtimes.engine_runtimes() == expected
    assert engine.closed
