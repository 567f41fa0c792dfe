"""Resource limits: clamp what a request asks for, and spell them out for Docker.

A GradeRequest carries the lab's requested limits, but a grader host runs untrusted code
and must never take a message's word for how much of the machine it may use: every
value is clamped to this grader's ceilings before it reaches the Engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docker.types import Ulimit

from contract import Limits
from grader.seccomp import security_options

SANDBOX_USER = "10001:10001"
SANDBOX_ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}
TMPFS_MIB = 64
# A tmpfs size counts data blocks, not inodes: empty files cost none, yet each inode costs
# kernel memory. Without this bound a loop creating empty files in /tmp ends as an OOM kill
# (or, on a host booted with cgroup.memory=nokmem, as unaccounted host memory).
TMPFS_INODES = 16384
# /dev/shm of an adapter whose runtime needs shared memory (ipc_mode "private").
SHM_MIB = 64
# Under runsc (gVisor) the Engine's pids limit counts the host side of the sandbox, not the
# student's processes: the Sentry's own threads (about 50 for an idle container, ptrace
# platform) plus two to three host tasks per task inside (measured: 66 for `node -e`, 212
# for 64 tasks inside). Held at the grader's pids limit, it was spent before Node started
# its workers, and runsc ended the sandbox with exit 2 and no output. So under runsc the
# student's limit is RLIMIT_NPROC inside (gVisor counts it per sandbox, threads included,
# as Linux does), and the host's pids limit only bounds the sandbox's footprint, with room.
RUNSC_HOST_PIDS_PER_TASK = 8
RUNSC_HOST_PIDS_BASE = 256


@dataclass(frozen=True)
class Ceilings:
    """The most this grader ever grants one run, whatever the request says."""

    wall_seconds: float = 30.0
    memory_mib: int = 1024
    cpus: float = 2.0
    pids: int = 256
    output_bytes: int = 4 * 1024 * 1024


def clamp_limits(requested: Limits, ceilings: Ceilings, floors: Limits) -> Limits:
    """Return `requested` with every value held between `floors` and `ceilings`.

    The floors are the language adapter's: what its runtime needs before the student's code
    does anything, so that no request makes a legitimate program unrunnable.
    """
    return Limits(
        wall_seconds=_clamp(requested.wall_seconds, floors.wall_seconds, ceilings.wall_seconds),
        memory_mib=int(_clamp(requested.memory_mib, floors.memory_mib, ceilings.memory_mib)),
        cpus=_clamp(requested.cpus, floors.cpus, ceilings.cpus),
        pids=int(_clamp(requested.pids, floors.pids, ceilings.pids)),
        output_bytes=int(
            _clamp(requested.output_bytes, floors.output_bytes, ceilings.output_bytes)
        ),
    )


def outer_timeout_seconds(limits: Limits) -> float:
    """How long the grader waits for the container before killing it.

    Above the harness's own wall timeout, with room for the runtime's start-up, the syntax check
    and the report, so that the outer timeout only fires when the harness itself hangs.
    """
    return limits.wall_seconds * 1.5 + 10.0


def docker_run_options(
    limits: Limits, ipc_mode: str = "none", runtime: str = "runc"
) -> dict[str, Any]:
    """The hardened container options of DESIGN.md section 5 for these limits.

    `ipc_mode` is the language adapter's: "none" (no /dev/shm) unless its runtime needs
    shared memory, "private" (a SHM_MIB /dev/shm of its own, nosuid,nodev,noexec).
    `runtime` is the OCI runtime the container runs under: under "runsc" the process
    limit moves inside the sandbox (see RUNSC_HOST_PIDS_PER_TASK).

    Returned as keyword arguments of docker-py's `containers.create`; the benchmark's
    plain `docker run` baseline is built from the same values.
    """
    memory = f"{limits.memory_mib}m"
    tmp_inodes = f"nr_inodes={TMPFS_INODES}"
    # "private": the adapter's runtime needs shared memory (CPython's multiprocessing locks,
    # queues and pools live in /dev/shm): a small one, counted against the memory limit.
    shm = {"shm_size": f"{SHM_MIB}m"} if ipc_mode == "private" else {}
    pids_limit, process_ulimits = _process_limits(limits.pids, runtime)
    return {
        "user": SANDBOX_USER,
        "environment": dict(SANDBOX_ENVIRONMENT),
        "network_mode": "none",
        "read_only": True,
        # /tmp is the only writable place. noexec: a program may copy any binary it can read
        # (or write an ELF of its own) there, and must not be able to run it: the student is
        # held to the programs the image ships.
        "tmpfs": {"/tmp": f"rw,nosuid,nodev,noexec,size={TMPFS_MIB}m,{tmp_inodes},mode=1777"},
        # "none": a private IPC namespace without /dev/shm. Docker otherwise mounts a
        # world-writable 64 MiB tmpfs there, a second writable place outside /tmp.
        "ipc_mode": ipc_mode,
        **shm,
        "cap_drop": ["ALL"],
        # Under runc, with our seccomp profile (grader.seccomp); runsc filters calls itself.
        "security_opt": security_options(runtime),
        "pids_limit": pids_limit,
        "mem_limit": memory,
        "memswap_limit": memory,  # equal: no swap on top of the memory limit
        "nano_cpus": int(limits.cpus * 1_000_000_000),
        "init": True,
        "hostname": "sandbox",
        # No `fsize` ulimit: the only writable place is the size-limited /tmp.
        "ulimits": [Ulimit(name="nofile", soft=1024, hard=1024), *process_ulimits],
    }


def _process_limits(pids: int, runtime: str) -> tuple[int, list[Ulimit]]:
    """The Engine's pids limit and the process ulimits that hold a run to `pids` tasks."""
    if runtime == "runsc":
        host_pids = pids * RUNSC_HOST_PIDS_PER_TASK + RUNSC_HOST_PIDS_BASE
        return host_pids, [Ulimit(name="nproc", soft=pids, hard=pids)]
    # Under runc no `nproc` ulimit: RLIMIT_NPROC counts every process of uid 10001 on the
    # whole host, so concurrent sandboxes would starve each other; the pids limit is per
    # container.
    return pids, []


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
