"""The Python harness's count of the sandbox's tasks against the process limit (tasks.py),
on a /proc tree of our making: no container needed."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

HARNESS = Path(__file__).resolve().parents[2] / "services" / "sandbox-image-python" / "harness"
sys.path.insert(0, str(HARNESS))
import tasks  # noqa: E402  (the harness's own module, as it runs in the image)

sys.path.remove(str(HARNESS))


def fake_proc(root: Path, threads_by_pid: dict[str, int]) -> str:
    for pid, threads in threads_by_pid.items():
        for tid in range(threads):
            (root / pid / "task" / f"{pid}{tid}").mkdir(parents=True)
    (root / "self").mkdir()  # not a process directory of its own
    (root / "sys").mkdir()
    return str(root)


def test_every_thread_of_every_process_counts(tmp_path):
    assert tasks.count_tasks(fake_proc(tmp_path, {"1": 1, "7": 9, "40": 3})) == 13


def test_no_proc_counts_nothing(tmp_path):
    assert tasks.count_tasks(str(tmp_path / "absent")) is None


def test_the_limit_is_rlimit_nproc_when_set_else_the_jobs_pids(monkeypatch):
    monkeypatch.setattr(tasks, "count_tasks", lambda: 64)
    unlimited = (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
    monkeypatch.setattr(resource, "getrlimit", lambda which: unlimited)
    assert tasks.tasks_at_stop(64) == {"count": 64, "limit": 64}
    assert tasks.tasks_at_stop(None) is None

    monkeypatch.setattr(resource, "getrlimit", lambda which: (32, 32))
    assert tasks.tasks_at_stop(64) == {"count": 64, "limit": 32}
