"""What A.D.A. says in CPython's words: how a program that kept running ends, and MemoryError.

The runner's verdicts and feedback are language-neutral; these are the sentences that name
CPython's processes and threads, given to it through the adapter.
"""

from __future__ import annotations

from grader.adapter import Sentences
from grader.verdict import HeapLimit

SENTENCES = Sentences(
    kept_running=(
        "Your program did its job but kept running (a process, a pool or a non-daemon "
        "thread it started was still alive), so the grader stopped it. Leave the pool's "
        "`with` block, or join() your processes and threads, before you return."
    ),
    kept_running_run=(
        "Your program did its job but kept running (a process, a pool or a non-daemon thread "
        "it started was still alive), so the run stopped it."
    ),
)

# The harness counts an uncaught MemoryError as running out of memory: CPython raised it
# because an allocation failed, often before the container's limit killed anything.
MEMORY_ERROR = HeapLimit(
    marker="MemoryError",
    reason=(
        "Stopped because Python could not allocate more memory (MemoryError; the limit is {limit})."
    ),
)
