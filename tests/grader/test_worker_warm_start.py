"""A grader worker loads its language adapter before it forks its first horse.

The adapter (its parser, its lab kinds) is imported by name on first use; left to the
horses, every grading imported it anew. So is what a horse's new Valkey connection and
its sandbox's create request would otherwise look up each time: redis-py's version and
the seccomp profile. The worker's loop and its watch are stubbed here: what is checked is
the order, the adapter first.
"""

from __future__ import annotations

from importlib import metadata

import pytest

from grader import seccomp, worker
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


def test_a_horse_finds_what_the_worker_looked_up_once(redis_url, monkeypatch):
    monkeypatch.setenv(INSTANCE_ENV, "")
    monkeypatch.setattr(worker, "GraderWatch", IdleWatch)
    seccomp._profile_text.cache_clear()
    looked_up = []

    def work(grader_worker, **options):
        # As in a horse: a new connection of the worker's pool, a sandbox's options.
        monkeypatch.setattr(metadata, "version", lambda name: looked_up.append(name))
        pool = grader_worker.connection.connection_pool
        pool.make_connection().disconnect()
        seccomp.security_options("runc")
        return False

    monkeypatch.setattr(worker, "work_through_outages", work)

    worker.run_worker(redis_url, "warm-start", burst=True)

    assert looked_up == []
    assert seccomp._profile_text.cache_info().misses == 1  # read before the work began
