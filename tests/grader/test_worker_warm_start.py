"""A grader worker loads its language adapter before it forks its first horse.

The adapter (its parser, its lab kinds) is imported by name on first use; left to the
horses, every grading imported it anew. The worker's loop and its watch are stubbed here:
what is checked is the order, the adapter first.
"""

from __future__ import annotations

import pytest

from grader import worker
from grader.sandbox import INSTANCE_ENV

pytestmark = pytest.mark.valkey


class IdleWatch:
    def __init__(self, *args, **kwargs):
        pass

    def tick(self, janitor):
        pass

    def start(self):
        pass

    def stop(self):
        pass


def test_the_adapter_is_loaded_before_the_worker_starts_working(redis_url, monkeypatch):
    monkeypatch.setenv(INSTANCE_ENV, "")  # run_worker sets it: put back after the test
    calls = []
    monkeypatch.setattr(worker, "configured_adapter", lambda: calls.append("adapter"))
    monkeypatch.setattr(worker, "GraderWatch", IdleWatch)

    def work(grader_worker, **options):
        calls.append("work")
        return False

    monkeypatch.setattr(worker, "work_through_outages", work)

    worker.run_worker(redis_url, "warm-start", burst=True)

    assert calls == ["adapter", "work"]
