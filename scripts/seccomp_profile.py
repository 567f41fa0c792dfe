"""Write the sandbox's seccomp profile (services/grader/grader/seccomp/sandbox.json).

The profile is an allowlist: every system call not named here fails with EPERM. It is
narrower than the Docker Engine's default profile, which is written for any container (a
database, a build, a desktop program); ours runs one Node.js or Python program without
capabilities, network or a writable root. The families below are what Node (V8, libuv),
CPython and the harnesses use; everything else is refused, in particular what a grader
never needs and what the Engine's default still allows a container without capabilities:
io_uring, ptrace and process_vm_*, personality, modify_ldt, Linux AIO, SysV and POSIX
message queues, shared memory and semaphores, fanotify, name_to_handle_at, landlock,
seccomp(2), memfd_secret, sync/syncfs, vmsplice, adjtimex and clock_adjtime, the 32-bit
system call tables (x86 and x32 on amd64), and sockets of any family but Unix, IPv4,
IPv6 and (read-only routing queries of getaddrinfo) netlink. mount, unshare, setns,
clone with namespace flags, bpf, perf_event_open, keyctl, userfaultfd, kexec, module
loading, reboot, swapon, clock setting: never named, so refused as well.

Regenerate and check after changing the families:

    .venv/bin/python scripts/seccomp_profile.py            # rewrites sandbox.json
    .venv/bin/python scripts/seccomp_profile.py --audit /tmp/audit.json

The audit variant allows everything, and makes the kernel log (dmesg, `type=1326` audit
lines with `syscall=N`) each call the real profile would refuse. Run the labs' reference
solutions with GRADER_SECCOMP_PROFILE=/tmp/audit.json (grader.seccomp) and read
`dmesg | grep type=1326`: a line there names a call an honest solution makes that the
profile refuses (`ausyscall N` or /usr/include/asm/unistd_64.h turns N into a name). The
Docker-backed tests grade every reference solution with the real profile, so a refusal
also shows as a failing test.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PROFILE = Path(__file__).resolve().parents[1] / "services/grader/grader/seccomp/sandbox.json"
EPERM = 1
ENOSYS = 38

# What each family is for; a name in two families is written once.
FAMILIES: dict[str, list[str]] = {
    # Files: the harness reads the job and the submission, writes /tmp; Node's fs and
    # Python's os/shutil (copy_file_range and sendfile copy; xattrs for shutil.copy2).
    "files": """
        access chdir chmod chown close close_range copy_file_range creat dup dup2
        dup3 faccessat faccessat2 fadvise64 fallocate fchdir fchmod fchmodat fchown
        fchownat fcntl fdatasync fgetxattr flistxattr flock fremovexattr fsetxattr
        fstat fstatfs fsync ftruncate getcwd getdents getdents64 getxattr lchown
        lgetxattr link linkat listxattr llistxattr lremovexattr lseek lsetxattr
        lstat mkdir mkdirat mknod mknodat newfstatat open openat openat2 pread64
        preadv preadv2 pwrite64 pwritev pwritev2 read readahead readlink readlinkat
        readv removexattr rename renameat renameat2 rmdir sendfile setxattr stat
        statfs statx symlink symlinkat truncate umask unlink unlinkat utime
        utimensat utimes write writev futimesat sync_file_range splice tee
    """.split(),
    # Memory: V8's heaps and JIT (pkey_* for its write protection), CPython's allocator.
    "memory": """
        brk madvise membarrier memfd_create mincore mlock mlock2 mlockall mmap
        mprotect mremap msync munlock munlockall munmap pkey_alloc pkey_free
        pkey_mprotect
    """.split(),
    # Processes and threads: worker threads, child_process, multiprocessing, tini (--init).
    # clone is allowed only without namespace flags (CLONE_RULES); clone3 is answered
    # ENOSYS so that the C library falls back to clone, whose flags a filter can read.
    "processes": """
        arch_prctl capget capset execve execveat exit exit_group fork
        get_robust_list get_thread_area getcpu getegid geteuid getgid getgroups
        getpgid getpgrp getpid getppid getpriority getresgid getresuid getrlimit
        getrusage getsid gettid getuid ioprio_get ioprio_set kill pidfd_open
        pidfd_send_signal prctl prlimit64 rseq sched_get_priority_max
        sched_get_priority_min sched_getaffinity sched_getattr sched_getparam
        sched_getscheduler sched_rr_get_interval sched_setaffinity sched_setattr
        sched_setparam sched_setscheduler sched_yield set_robust_list
        set_thread_area set_tid_address setfsgid setfsuid setgid setgroups setpgid
        setpriority setregid setresgid setresuid setreuid setrlimit setsid setuid
        tgkill tkill vfork wait4 waitid
    """.split(),
    # Waiting and signals: libuv's epoll loop, its thread pool's futexes, timers.
    "events": """
        clock_getres clock_gettime clock_nanosleep epoll_create epoll_create1
        epoll_ctl epoll_pwait epoll_pwait2 epoll_wait eventfd eventfd2 alarm futex
        futex_waitv getitimer getrandom gettimeofday inotify_add_watch inotify_init
        inotify_init1 inotify_rm_watch ioctl nanosleep pause pipe pipe2 poll ppoll
        pselect6 restart_syscall rt_sigaction rt_sigpending rt_sigprocmask
        rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_tgsigqueueinfo
        select setitimer sigaltstack signalfd signalfd4 time timer_create
        timer_delete timer_getoverrun timer_gettime timer_settime timerfd_create
        timerfd_gettime timerfd_settime times
    """.split(),
    # Sockets: child_process and multiprocessing talk over Unix socket pairs, a solution
    # may serve on loopback (the network is "none"). socket() itself is in SOCKET_FAMILIES.
    "sockets": """
        accept accept4 bind connect getpeername getsockname getsockopt listen
        recvfrom recvmmsg recvmsg sendmmsg sendmsg sendto setsockopt shutdown
        socketpair
    """.split(),
    # The machine: os.cpus(), os.totalmem(), os.cpu_count(), uname.
    "machine": ["sysinfo", "uname"],
}

# socket(2) for these address families only (AF_UNIX, AF_INET, AF_INET6, AF_NETLINK): the
# others (AF_ALG, AF_VSOCK, AF_PACKET, AF_KEY, ...) are kernel code a grader never needs.
SOCKET_FAMILIES = (1, 2, 10, 16)

# clone(2) flags that make namespaces: CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER,
# NEWPID, NEWNET. clone is allowed when none of them is set.
CLONE_NAMESPACE_FLAGS = (
    0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
)

# 64-bit tables only: on amd64 the x86 and x32 tables are refused (no subArchitectures).
ARCHITECTURES = ("SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64")


def build_profile(default_action: str = "SCMP_ACT_ERRNO") -> dict:
    """The profile as the Engine reads it (`--security-opt seccomp=...`).

    `default_action` is SCMP_ACT_ERRNO (EPERM) for the real profile, SCMP_ACT_LOG for the
    audit variant that only logs what the real one would refuse.
    """
    names = sorted({name for family in FAMILIES.values() for name in family})
    clone_rule = {
        "names": ["clone"],
        "action": "SCMP_ACT_ALLOW",
        "args": [
            {"index": 0, "value": CLONE_NAMESPACE_FLAGS, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}
        ],
    }
    socket_rules = [
        {
            "names": ["socket"],
            "action": "SCMP_ACT_ALLOW",
            "args": [{"index": 0, "value": family, "op": "SCMP_CMP_EQ"}],
        }
        for family in SOCKET_FAMILIES
    ]
    clone3_rule = {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": ENOSYS}
    profile: dict = {
        "defaultAction": default_action,
        "archMap": [
            {"architecture": architecture, "subArchitectures": []} for architecture in ARCHITECTURES
        ],
        "syscalls": [
            {"names": names, "action": "SCMP_ACT_ALLOW"},
            clone_rule,
            *socket_rules,
            clone3_rule,
        ],
    }
    if default_action == "SCMP_ACT_ERRNO":
        profile["defaultErrnoRet"] = EPERM
    return profile


def profile_text(default_action: str = "SCMP_ACT_ERRNO") -> str:
    """The profile as written to the file: stable, one call name a line."""
    return json.dumps(build_profile(default_action), indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--audit", type=Path, help="write the audit variant to this path")
    arguments = parser.parse_args(argv)
    if arguments.audit:
        arguments.audit.write_text(profile_text("SCMP_ACT_LOG"), encoding="utf-8")
        print(f"wrote {arguments.audit}")
        return 0
    PROFILE.parent.mkdir(parents=True, exist_ok=True)
    PROFILE.write_text(profile_text(), encoding="utf-8")
    print(f"wrote {PROFILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
