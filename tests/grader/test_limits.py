"""Limits: a request's limits never exceed the grader's ceilings, nor fall below floors."""

import pytest

from contract import Limits
from grader.adapters.node import FLOORS
from grader.limits import Ceilings, clamp_limits, docker_run_options, outer_timeout_seconds

CEILINGS = Ceilings(wall_seconds=10, memory_mib=512, cpus=2, pids=128, output_bytes=1 << 20)


def test_reasonable_request_is_kept():
    requested = Limits(wall_seconds=5, memory_mib=256, cpus=1, pids=64, output_bytes=4096)
    assert clamp_limits(requested, CEILINGS, FLOORS) == requested


def test_greedy_request_is_held_to_the_ceilings():
    greedy = Limits(wall_seconds=3600, memory_mib=64000, cpus=64, pids=100000, output_bytes=1 << 40)
    assert clamp_limits(greedy, CEILINGS, FLOORS) == Limits(10, 512, 2, 128, 1 << 20)


@pytest.mark.parametrize(
    "tiny",
    [Limits(0, 0, 0, 0, 0), Limits(-5, -1, -1.0, -1, -1)],
)
def test_zero_or_negative_request_is_raised_to_the_floors(tiny):
    assert clamp_limits(tiny, CEILINGS, FLOORS) == FLOORS


def test_docker_options_spell_out_every_hardening_flag():
    options = docker_run_options(Limits(5, 256, 1.5, 64, 4096))
    assert options["network_mode"] == "none"
    assert options["read_only"] is True
    assert options["cap_drop"] == ["ALL"]
    assert options["security_opt"][0] == "no-new-privileges"
    assert options["security_opt"][1].startswith("seccomp={")  # grader.seccomp's profile
    assert options["user"] == "10001:10001"
    assert options["mem_limit"] == options["memswap_limit"] == "256m"
    assert options["nano_cpus"] == 1_500_000_000
    assert options["pids_limit"] == 64
    assert options["init"] is True
    assert set(options["environment"]) == {"PATH", "HOME", "LANG"}
    assert options["ipc_mode"] == "none"  # no world-writable /dev/shm
    assert "shm_size" not in options
    tmp = options["tmpfs"]["/tmp"].split(",")
    assert {"noexec", "nosuid", "nodev", "size=64m", "nr_inodes=16384"} <= set(tmp)


def test_an_adapter_that_needs_shared_memory_gets_a_small_private_one():
    options = docker_run_options(Limits(5, 256, 2, 128, 4096), ipc_mode="private")
    assert options["ipc_mode"] == "private"  # shared with no other container
    assert options["shm_size"] == "64m"  # and charged to the memory limit
    assert options["mem_limit"] == "256m" and options["network_mode"] == "none"


def test_under_runsc_the_process_limit_is_held_inside_the_sandbox():
    limits = Limits(5, 256, 1, 64, 4096)
    runc = docker_run_options(limits)
    runsc = docker_run_options(limits, runtime="runsc")

    assert runc["pids_limit"] == 64
    assert "nproc" not in {ulimit.name for ulimit in runc["ulimits"]}  # host-wide under runc
    nproc = {ulimit.name: ulimit for ulimit in runsc["ulimits"]}["nproc"]
    assert (nproc.soft, nproc.hard) == (64, 64)  # gVisor counts it per sandbox
    # The host's pids limit still bounds gVisor's own threads, with room for them.
    assert 64 * 4 < runsc["pids_limit"] < 64 * 32
    # gVisor filters system calls itself: no seccomp profile under runsc (grader.seccomp).
    assert runsc["security_opt"] == ["no-new-privileges"]
    others = ("pids_limit", "ulimits", "security_opt")
    assert {k: v for k, v in runsc.items() if k not in others} == {
        k: v for k, v in runc.items() if k not in others
    }


def test_outer_timeout_is_above_the_inner_one():
    limits = Limits(5, 256, 1, 64, 4096)
    assert outer_timeout_seconds(limits) > limits.wall_seconds
