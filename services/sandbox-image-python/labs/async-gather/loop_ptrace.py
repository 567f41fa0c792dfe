"""Where the loop's thread is, asked by ptrace: the witness's reading where /proc has none.

gVisor (runsc 0.0~20221219) has no /proc/<pid>/task/<tid>/syscall, but it implements
ptrace. The driver is the subject's parent with the same uid, so while a call runs the
witness's sampling thread seizes the subject's main thread (PTRACE_SEIZE: no signal, no
stop of its own), and at each sample interrupts it (PTRACE_INTERRUPT), reads its registers
in the stop (PTRACE_GETREGS) and lets it go on (PTRACE_CONT). A thread asleep in a system
call is stopped inside it: `orig_rax` is the call's number, `rdi` its first argument and
`rax` the restart or EINTR code it will be resumed with; a thread stopped anywhere else
is running (or just returned from a call). Python retries an epoll_wait that returned
EINTR (PEP 475), so the loop sees nothing of it but a wake-up.

ptrace requests come from the thread that seized the tracee: a `Tracer` is made and used
by that one thread, and detached when it ends (the kernel detaches the tracees of a thread
that exits). A subject that made itself non-dumpable cannot be seized: `refused`. Only the
stop is ever collected (waitid with WNOWAIT first): the subject's exit stays for the
driver's own wait, so the driver still ends the way its subject did. x86_64 only.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform

PTRACE_CONT = 7
PTRACE_GETREGS = 12
PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
PTRACE_EVENT_STOP = 128
WALL = 0x40000000  # __WALL
STOP_MARKER = 0x7F
# user_regs_struct (x86_64): 27 words; these are the indexes the witness reads.
REGS_WORDS = 27
RAX, RDI, ORIG_RAX = 10, 14, 15
# What an interrupted, sleeping call returns to be resumed with: EINTR, ERESTARTSYS,
# ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK.
INTERRUPTED = {-errno.EINTR, -512, -513, -514, -516}
SUPPORTED = platform.machine() == "x86_64"

_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.restype = ctypes.c_long
_libc.ptrace.argtypes = (ctypes.c_long, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


class Tracer:
    """The subject's main thread, seized by the calling thread: `where()` per sample."""

    def __init__(self, pid: int) -> None:
        """Seize `pid`; PermissionError when it is not dumpable (or traced by another)."""
        if not SUPPORTED:
            raise OSError(errno.ENOSYS, "ptrace registers are read on x86_64 only")
        self._pid = pid
        self._regs = (ctypes.c_ulong * REGS_WORDS)()
        _call(PTRACE_SEIZE, pid, None, None)

    def where(self) -> tuple[int, int, int] | None:
        """(call number or -1, first argument, rax) in the stop, or None once it ended."""
        try:
            if not self._interrupt():
                return None
            _call(PTRACE_GETREGS, self._pid, None, ctypes.addressof(self._regs))
            _call(PTRACE_CONT, self._pid, None, None)
        except ProcessLookupError:
            return None  # killed while stopped
        regs = self._regs
        return tuple(ctypes.c_long(regs[index]).value for index in (ORIG_RAX, RDI, RAX))

    def detach(self) -> None:
        """Let it go (a thread's tracees are also let go when the thread ends)."""
        try:
            if self._interrupt():
                _call(PTRACE_DETACH, self._pid, None, None)
        except ProcessLookupError:
            pass

    def _interrupt(self) -> bool:
        """Stop it in PTRACE_EVENT_STOP; False once it ended.

        A signal it is being sent stops it first (a signal-delivery stop): that signal is
        passed on, so tracing changes nothing of what the student's code receives.
        """
        try:
            _call(PTRACE_INTERRUPT, self._pid, None, None)
        except ProcessLookupError:
            return False
        while True:
            seen = os.waitid(os.P_PID, self._pid, os.WSTOPPED | os.WEXITED | os.WNOWAIT)
            if seen is None or not _stopped(seen):
                return False  # it ended: its status is the driver's to collect
            _, status = os.waitpid(self._pid, os.WNOHANG | WALL)
            if status >> 16 == PTRACE_EVENT_STOP:
                return True
            if os.WIFSTOPPED(status):
                _call(PTRACE_CONT, self._pid, None, os.WSTOPSIG(status))

    def sleeping_in(self, numbers: set[int], first: int) -> bool | None:
        """Whether it sleeps in one of the calls `numbers` on `first`; None once it ended."""
        seen = self.where()
        if seen is None:
            return None
        number, argument, result = seen
        return number in numbers and argument == first and result in INTERRUPTED


def _stopped(seen: os.waitid_result) -> bool:
    """Whether waitid saw a ptrace stop rather than an end.

    gVisor (0.0~20221219) reports a ptrace stop to waitid as CLD_KILLED with status 0x7f
    (a wait status's stop marker), a status no signal has: that is a stop, too.
    """
    return seen.si_code == os.CLD_TRAPPED or (
        seen.si_code == os.CLD_KILLED and seen.si_status == STOP_MARKER
    )


def _call(request: int, pid: int, address: int | None, data: int | None) -> int:
    result = _libc.ptrace(request, pid, address, data)
    if result == -1:
        code = ctypes.get_errno()
        if code:
            raise OSError(code, f"ptrace({request:#x}): {os.strerror(code)}")
    return result
