"""The seccomp profile every sandbox container runs under with runc.

The profile (seccomp/sandbox.json beside this module, written by scripts/seccomp_profile.py)
is an allowlist narrower than the Docker Engine's default: what Node, CPython and the
harnesses call, and EPERM for everything else (io_uring, ptrace, namespaces, mount, bpf,
keyctl, personality, the 32-bit tables, ...). The Engine takes a profile's text, not a path
(`docker run --security-opt seccomp=FILE` is the CLI reading the file), so the grader sends
the text, which also works against a remote Engine.

Under runsc the profile is not sent: gVisor's Sentry implements the system calls itself and
by default does not load an OCI seccomp profile (runsc's `--oci-seccomp` is off), so it
would be a promise the runtime does not keep; the Sentry is that runtime's boundary.

GRADER_SECCOMP_PROFILE names another profile file: the audit variant of the script, which
logs instead of refusing, to check which calls honest solutions make (the script's
docstring says how).
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

PROFILE_PATH = Path(__file__).with_name("seccomp") / "sandbox.json"
PROFILE_ENV = "GRADER_SECCOMP_PROFILE"


@functools.cache
def _profile_text(path: str) -> str:
    # Compact: the text travels in every create request (HostConfig.SecurityOpt).
    profile = json.loads(Path(path).read_text(encoding="utf-8"))
    return json.dumps(profile, separators=(",", ":"))


def profile_path() -> Path:
    """The profile file in force: GRADER_SECCOMP_PROFILE, or the repository's."""
    return Path(os.environ.get(PROFILE_ENV) or PROFILE_PATH)


def security_options(runtime: str) -> list[str]:
    """The Engine's SecurityOpt entries for a sandbox under `runtime`."""
    options = ["no-new-privileges"]
    if runtime == "runc":
        options.append(f"seccomp={_profile_text(str(profile_path()))}")
    return options
