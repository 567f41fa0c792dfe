"""The Python adapter: CPython's lab kinds, its report details and A.D.A.'s sentences about
CPython, for the runner to grade with.

GRADER_ADAPTER=python or grader.adapters.python selects it; its sandbox image is
services/sandbox-image-python/ (course-sandbox-python:1).
"""

from __future__ import annotations

from contract import Limits
from grader.adapter import Adapter
from grader.adapters.python.details import read_details
from grader.adapters.python.feedback import MEMORY_ERROR, SENTENCES
from grader.adapters.python.labs.kinds import lab_kinds
from grader.adapters.python.prepare import entrypoint_name, prepare

# Floors keep a legitimate program runnable. CPython starts in about 10 MiB, but the harness
# (itself a Python process) and a lab's driver run beside the student's code, and every
# thread and process counts against pids: the harness, the driver and its sampler thread,
# a lab's server process, then a pool's processes and its helper threads.
FLOORS = Limits(wall_seconds=0.5, memory_mib=64, cpus=0.1, pids=16, output_bytes=1024)

ADAPTER = Adapter(
    name="python",
    lab_kinds=lab_kinds(),
    prepare=prepare,
    read_details=read_details,
    sandbox_image="course-sandbox-python:1",
    floors=FLOORS,
    # multiprocessing's locks, queues and pools need /dev/shm (sem_open): a private IPC
    # namespace with a 64 MiB /dev/shm of its own, counted in the memory limit
    # (grader.limits).
    ipc_mode="private",
    sentences=SENTENCES,
    entrypoint_name=entrypoint_name,
    heap_limit=MEMORY_ERROR,
)
