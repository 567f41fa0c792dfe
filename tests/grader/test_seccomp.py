"""The sandbox's seccomp profile: written by its script, narrower than the Engine's default,
sent under runc only.

The Docker-backed proof (the calls really fail with EPERM, where the Engine's default lets
them through) is in tests/python_sandbox/test_hostile_syscalls.py; the labs' reference
solutions pass under it in tests/grader/test_sandbox_runtime.py and the verdict suites.
"""

import importlib.util
import json
from pathlib import Path

import pytest

from grader.seccomp import PROFILE_ENV, PROFILE_PATH, security_options

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "seccomp_profile.py"
# What a grader never needs; each is refused whatever the Engine's default would say.
NEVER_NEEDED = [
    "mount", "umount2", "pivot_root", "unshare", "setns", "ptrace", "process_vm_readv",
    "process_vm_writev", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
    "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "kexec_load",
    "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
    "swapoff", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "personality",
    "modify_ldt", "acct", "chroot", "syslog", "open_by_handle_at", "name_to_handle_at",
    "fanotify_init", "fanotify_mark", "io_setup", "io_submit", "msgget", "mq_open", "shmget",
    "semget", "landlock_create_ruleset", "seccomp", "memfd_secret", "sync", "syncfs",
    "vmsplice", "quotactl", "sethostname", "setdomainname", "lookup_dcookie", "kcmp",
]  # fmt: skip


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("seccomp_profile", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def allowed_names(profile: dict) -> set[str]:
    return {
        name
        for rule in profile["syscalls"]
        if rule["action"] == "SCMP_ACT_ALLOW"
        for name in rule["names"]
    }


def test_the_committed_profile_is_the_scripts_output(script):
    # An edit by hand, or a family changed without regenerating, shows here.
    assert PROFILE_PATH.read_text(encoding="utf-8") == script.profile_text()


def test_everything_not_named_is_refused_with_eperm():
    profile = json.loads(PROFILE_PATH.read_text(encoding="utf-8"))

    assert (profile["defaultAction"], profile["defaultErrnoRet"]) == ("SCMP_ACT_ERRNO", 1)
    # The 64-bit tables only: no x86 or x32 system calls from an amd64 program.
    assert all(arch["subArchitectures"] == [] for arch in profile["archMap"])


@pytest.mark.parametrize("name", NEVER_NEEDED)
def test_a_call_a_grader_never_needs_is_not_allowed(name):
    profile = json.loads(PROFILE_PATH.read_text(encoding="utf-8"))
    assert name not in allowed_names(profile)


def test_clone_and_socket_are_allowed_only_with_harmless_arguments(script):
    rules = json.loads(PROFILE_PATH.read_text(encoding="utf-8"))["syscalls"]
    by_name = {}
    for rule in rules:
        for name in rule["names"]:
            by_name.setdefault(name, []).append(rule)

    (clone,) = by_name["clone"]  # no namespace flag: no new user, pid, mount... namespace
    assert clone["args"] == [
        {"index": 0, "value": 0x7E020000, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}
    ]
    assert {rule["args"][0]["value"] for rule in by_name["socket"]} == {1, 2, 10, 16}
    (clone3,) = by_name["clone3"]  # ENOSYS: the C library falls back to clone
    assert (clone3["action"], clone3["errnoRet"]) == ("SCMP_ACT_ERRNO", 38)


def test_the_audit_variant_logs_what_the_profile_refuses(script, tmp_path):
    audit = tmp_path / "audit.json"
    script.main(["--audit", str(audit)])
    profile = json.loads(audit.read_text(encoding="utf-8"))
    real = json.loads(PROFILE_PATH.read_text(encoding="utf-8"))

    assert profile["defaultAction"] == "SCMP_ACT_LOG" and "defaultErrnoRet" not in profile
    assert profile["syscalls"] == real["syscalls"]


def test_runc_sandboxes_get_the_profile_and_runsc_ones_do_not():
    runc = security_options("runc")
    assert runc[0] == "no-new-privileges"
    assert json.loads(runc[1].removeprefix("seccomp=")) == json.loads(PROFILE_PATH.read_text())
    # gVisor's Sentry implements the calls itself and loads no OCI profile by default.
    assert security_options("runsc") == ["no-new-privileges"]


def test_an_operator_may_point_the_grader_at_another_profile(monkeypatch, tmp_path):
    other = tmp_path / "audit.json"
    other.write_text('{"defaultAction": "SCMP_ACT_LOG"}')
    monkeypatch.setenv(PROFILE_ENV, str(other))

    assert security_options("runc")[1] == 'seccomp={"defaultAction":"SCMP_ACT_LOG"}'
