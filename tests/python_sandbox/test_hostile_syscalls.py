"""A submission that makes system calls a grader never needs: the seccomp profile refuses
them with EPERM under runc, where the Engine's default profile would let several through.

The program calls the kernel directly through ctypes (x86_64 numbers), so nothing between
it and the kernel can answer for the profile. The same program is run once more with the
Engine's default profile instead of ours, which shows the test can fail: that profile lets
ptrace and personality through (and, in the Engine of Debian 12, io_uring and AF_ALG
sockets). Under runsc no profile is sent (grader.seccomp): gVisor answers the calls itself.
"""

import json
import platform

import pytest

from grader import limits
from tests.conftest import both_runtimes

pytestmark = [
    pytest.mark.docker,
    pytest.mark.skipif(platform.machine() != "x86_64", reason="x86_64 system call numbers"),
]

EPERM = 1
PROBE = """\
import ctypes, json

libc = ctypes.CDLL(None, use_errno=True)


def call(number, *arguments):
    ctypes.set_errno(0)
    result = libc.syscall(ctypes.c_long(number), *[ctypes.c_long(a) for a in arguments])
    return 0 if result != -1 else ctypes.get_errno()


print("PROBES " + json.dumps({
    "getpid": call(39),
    "io_uring_setup": call(425, 1, 0),
    "ptrace(TRACEME)": call(101, 0, 0, 0, 0),
    "personality(query)": call(135, 0xFFFFFFFF),
    "modify_ldt(read)": call(154, 0, 0, 0),
    "socket(AF_ALG)": call(41, 38, 5, 0),
    "unshare(CLONE_NEWUSER)": call(272, 0x10000000),
    "keyctl": call(250, 0, -3, 0),
    "userfaultfd": call(323, 0),
    "mount": call(165, 0, 0, 0, 0, 0),
}))
"""


def probes(run) -> dict[str, int]:
    lines = [line for line in run.text.splitlines() if line.startswith("PROBES ")]
    assert lines, f"the probe printed nothing: {run.text[-2000:]}"
    return json.loads(lines[0].removeprefix("PROBES "))


@both_runtimes
def test_calls_a_grader_never_needs_are_refused_under_runc(run_python, sandbox_runtime):
    errnos = probes(run_python(PROBE))

    assert errnos["getpid"] == 0
    refused = {name for name, errno in errnos.items() if errno == EPERM}
    if sandbox_runtime == "runc":
        assert refused == set(errnos) - {"getpid"}, errnos
    else:
        # No profile under runsc: gVisor's own answers (its ptrace works), no host filter's.
        assert errnos["ptrace(TRACEME)"] == 0, errnos


# runc only by nature: it compares our seccomp profile with the Engine's default, and runsc
# loads neither (grader.seccomp).
def test_the_engines_default_profile_would_let_some_of_them_through(run_python, monkeypatch):
    monkeypatch.setattr(limits, "security_options", lambda runtime: ["no-new-privileges"])

    errnos = probes(run_python(PROBE))

    allowed = {name for name, errno in errnos.items() if errno != EPERM} - {"getpid"}
    assert {"ptrace(TRACEME)", "personality(query)"} <= allowed, errnos
    print(f"\nallowed by the Engine's default profile, refused by ours: {sorted(allowed)}")
