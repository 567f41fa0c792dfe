"""The grader's settings, read from its environment.

A grader host runs untrusted code, so it holds only what it needs: the queue's URL, which
language adapter it grades with, the queue it consumes, the sandbox image's name and its
own ceilings. It never holds database credentials. One runner serves every language: a
grader service is this runner plus the adapter, image and queue named here.

SANDBOX_RUNTIME picks the OCI runtime every sandbox container runs under: `runc` (the
Engine's default) or `runsc` (gVisor: a user-space kernel between the student's code and
the host's, for hosts that want a second boundary; it must be registered with the Engine,
see deploy/README.md). It is a host's choice, never a message's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from contract import GRADING_QUEUE
from grader.adapter import Adapter, adapter_name, load_adapter
from grader.limits import Ceilings

# The OCI runtimes a grader host may run its sandboxes under (SANDBOX_RUNTIME).
SANDBOX_RUNTIMES = ("runc", "runsc")
DEFAULT_SANDBOX_RUNTIME = "runc"


class ConfigError(ValueError):
    """A setting of the environment names something this grader does not support."""


@dataclass(frozen=True)
class GraderConfig:
    """Settings of one grader process."""

    sandbox_image: str  # SANDBOX_IMAGE, or the adapter's own image
    redis_url: str = "redis://127.0.0.1:6379/0"
    adapter: str = "node"  # GRADER_ADAPTER: a short name or an import path (grader.adapter)
    queue: str = GRADING_QUEUE  # GRADER_QUEUE: the grading queue this grader consumes
    ceilings: Ceilings = field(default_factory=Ceilings)
    sandbox_runtime: str = DEFAULT_SANDBOX_RUNTIME  # SANDBOX_RUNTIME: one of SANDBOX_RUNTIMES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GraderConfig:
        """Build the config from REDIS_URL, GRADER_ADAPTER, GRADER_QUEUE, SANDBOX_IMAGE,
        SANDBOX_RUNTIME and GRADER_MAX_* variables; raise grader.adapter.AdapterError for an
        unknown adapter and ConfigError for an unknown runtime."""
        env = os.environ if environ is None else environ
        defaults = Ceilings()
        ceilings = Ceilings(
            wall_seconds=float(env.get("GRADER_MAX_WALL_SECONDS", defaults.wall_seconds)),
            memory_mib=int(env.get("GRADER_MAX_MEMORY_MIB", defaults.memory_mib)),
            cpus=float(env.get("GRADER_MAX_CPUS", defaults.cpus)),
            pids=int(env.get("GRADER_MAX_PIDS", defaults.pids)),
            output_bytes=int(env.get("GRADER_MAX_OUTPUT_BYTES", defaults.output_bytes)),
        )
        adapter = adapter_name(env)
        runtime = env.get("SANDBOX_RUNTIME") or DEFAULT_SANDBOX_RUNTIME
        if runtime not in SANDBOX_RUNTIMES:
            raise ConfigError(
                f"SANDBOX_RUNTIME={runtime!r}: expected one of {', '.join(SANDBOX_RUNTIMES)}"
            )
        return cls(
            sandbox_image=env.get("SANDBOX_IMAGE") or load_adapter(adapter).sandbox_image,
            redis_url=env.get("REDIS_URL", cls.redis_url),
            adapter=adapter,
            queue=env.get("GRADER_QUEUE") or GRADING_QUEUE,
            ceilings=ceilings,
            sandbox_runtime=runtime,
        )

    def loaded_adapter(self) -> Adapter:
        """The language adapter this grader grades with."""
        return load_adapter(self.adapter)
