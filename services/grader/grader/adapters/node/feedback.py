"""What A.D.A. says in Node's words: how a program that kept running ends, and V8's heap.

The runner's verdicts and feedback are language-neutral; these are the sentences that name
Node's threads and V8, given to it through the adapter.
"""

from __future__ import annotations

from grader.adapter import Sentences
from grader.verdict import HeapLimit

SENTENCES = Sentences(
    kept_running=(
        "Your program did its job but kept running (a 'message' listener keeps a "
        "thread alive), so the grader stopped it. Call worker.terminate() or "
        "parentPort.close() when you are done."
    ),
    kept_running_run=(
        "Your program did its job but kept running (a 'message' listener keeps a thread "
        "alive), so the run stopped it."
    ),
)

# V8 gives up on its own heap (its --max-old-space-size) before the container's limit is
# reached: saying the program used the whole limit would then be false.
V8_HEAP_LIMIT = HeapLimit(
    marker="JavaScript heap out of memory",
    reason="Stopped because V8's JavaScript heap ran out of memory (the limit is {limit}).",
)
