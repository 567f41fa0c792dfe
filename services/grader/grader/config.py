"""The grader's settings, read from its environment.

A grader host runs untrusted code, so it holds only what it needs: the queue's URL, which
language adapter it grades with, the queue it consumes, the sandbox image's name and its
own ceilings. It never holds database credentials. One runner serves every language: a
grader service is this runner plus the adapter, image and queue named here.

SANDBOX_RUNTIME picks the OCI runtime every sandbox container runs under: `runc` (the
Engine's default) or `runsc` (gVisor: a user-space kernel between the student's code and
the host's, for hosts that want a second boundary; it must be registered with the Engine,
see deploy/README.md). It is a host's choice, never a message's.

GRADER_HOST_CGROUP_DIR is where the grader finds the cgroup filesystem of the Engine's host,
from which it reads what each sandbox used (grader.host_usage). On the host itself that is
/sys/fs/cgroup; a grader in a container sees its own cgroup namespace there, so compose, the
swarm stack and the Kubernetes manifests mount the host's tree read-only elsewhere and name it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from contract import GRADING_QUEUE
from grader.adapter import Adapter, adapter_name, load_adapter
from grader.host_usage import CGROUP_ROOT
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
    # GRADER_HOST_CGROUP_DIR: the Engine host's cgroup filesystem as the grader sees it
    host_cgroup_dir: Path = CGROUP_ROOT

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GraderConfig:
        """Build the config from REDIS_URL, GRADER_ADAPTER, GRADER_QUEUE, SANDBOX_IMAGE,
        SANDBOX_RUNTIME, GRADER_HOST_CGROUP_DIR and GRADER_MAX_* variables; raise
        grader.adapter.AdapterError for an unknown adapter and ConfigError for an unknown
        runtime or a cgroup directory that is not an absolute path."""
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
        cgroup_dir = Path(env.get("GRADER_HOST_CGROUP_DIR") or CGROUP_ROOT)
        if not cgroup_dir.is_absolute():
            # A relative path would be read from whatever directory the worker started in.
            raise ConfigError(
                f"GRADER_HOST_CGROUP_DIR={str(cgroup_dir)!r}: expected an absolute path "
                "(where the Engine host's /sys/fs/cgroup is mounted)"
            )
        return cls(
            sandbox_image=env.get("SANDBOX_IMAGE") or load_adapter(adapter).sandbox_image,
            redis_url=env.get("REDIS_URL", cls.redis_url),
            adapter=adapter,
            queue=env.get("GRADER_QUEUE") or GRADING_QUEUE,
            ceilings=ceilings,
            sandbox_runtime=runtime,
            host_cgroup_dir=cgroup_dir,
        )

    def loaded_adapter(self) -> Adapter:
        """The language adapter this grader grades with."""
        return load_adapter(self.adapter)
