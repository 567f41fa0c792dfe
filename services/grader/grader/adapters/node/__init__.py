"""The Node.js adapter: JavaScript source facts, Node's lab kinds, the report's run-time
observations and A.D.A.'s sentences about Node, for the runner to grade with.

GRADER_ADAPTER=node (the default) or grader.adapters.node selects it.
"""

from __future__ import annotations

from contract import Limits
from grader.adapter import Adapter
from grader.adapters.node.details import read_details
from grader.adapters.node.feedback import SENTENCES, V8_HEAP_LIMIT
from grader.adapters.node.labs.kinds import lab_kinds
from grader.adapters.node.prepare import entrypoint_name, prepare

# Floors keep a legitimate program runnable: Node itself needs about 7 threads and
# 40 MiB before the student's code does anything (DESIGN.md section 5).
FLOORS = Limits(wall_seconds=0.5, memory_mib=64, cpus=0.1, pids=16, output_bytes=1024)

ADAPTER = Adapter(
    name="node",
    lab_kinds=lab_kinds(),
    prepare=prepare,
    read_details=read_details,
    sandbox_image="course-sandbox-node:1",
    floors=FLOORS,
    # A private IPC namespace without /dev/shm: Docker otherwise mounts a world-writable
    # 64 MiB tmpfs there, a second writable place outside /tmp that Node never needs.
    ipc_mode="none",
    sentences=SENTENCES,
    entrypoint_name=entrypoint_name,
    heap_limit=V8_HEAP_LIMIT,
)
