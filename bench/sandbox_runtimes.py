"""The sandbox runtimes a benchmark compares: the ones a grader host may choose that this
Engine has registered.

A grader host picks its sandboxes' OCI runtime with SANDBOX_RUNTIME (grader.config): runc,
the default, or runsc (gVisor), which must be registered with the Engine first
(deploy/README.md, "gVisor"). The benchmarks that compare the runtimes side by side
(bench/grading.py, bench/verdict_accuracy.py) measure by default each one the local Engine
has, so that `make bench` on a host without runsc still runs, under runc alone.
"""

from __future__ import annotations

import docker

from grader.config import DEFAULT_SANDBOX_RUNTIME, SANDBOX_RUNTIMES

__all__ = ["DEFAULT_SANDBOX_RUNTIME", "SANDBOX_RUNTIMES", "engine_runtimes"]


def engine_runtimes() -> list[str]:
    """runc, then each other runtime of SANDBOX_RUNTIMES the Engine has registered (the
    `Runtimes` of `docker info`), in SANDBOX_RUNTIMES' order."""
    client = docker.from_env()
    try:
        known = client.info().get("Runtimes") or {}
    finally:
        client.close()
    return [
        runtime
        for runtime in SANDBOX_RUNTIMES
        if runtime == DEFAULT_SANDBOX_RUNTIME or runtime in known
    ]
