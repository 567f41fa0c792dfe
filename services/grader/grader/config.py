"""The grader's settings, read from its environment.

A grader host runs untrusted code, so it holds only what it needs: the queue's URL, the
sandbox image's name and its own ceilings. It never holds database credentials.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from grader.limits import Ceilings

DEFAULT_IMAGE = "course-sandbox-node:1"


@dataclass(frozen=True)
class GraderConfig:
    """Settings of one grader process."""

    redis_url: str = "redis://127.0.0.1:6379/0"
    sandbox_image: str = DEFAULT_IMAGE
    ceilings: Ceilings = field(default_factory=Ceilings)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> GraderConfig:
        """Build the config from REDIS_URL, SANDBOX_IMAGE and GRADER_MAX_* variables."""
        env = os.environ if environ is None else environ
        defaults = Ceilings()
        ceilings = Ceilings(
            wall_seconds=float(env.get("GRADER_MAX_WALL_SECONDS", defaults.wall_seconds)),
            memory_mib=int(env.get("GRADER_MAX_MEMORY_MIB", defaults.memory_mib)),
            cpus=float(env.get("GRADER_MAX_CPUS", defaults.cpus)),
            pids=int(env.get("GRADER_MAX_PIDS", defaults.pids)),
            output_bytes=int(env.get("GRADER_MAX_OUTPUT_BYTES", defaults.output_bytes)),
        )
        return cls(
            redis_url=env.get("REDIS_URL", cls.redis_url),
            sandbox_image=env.get("SANDBOX_IMAGE", DEFAULT_IMAGE),
            ceilings=ceilings,
        )
