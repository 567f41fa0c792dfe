"""The limits A.D.A.'s diagnoses compare the grader's measurements with, in one place.

They mirror the graders' own (services/grader/grader/labs/unblock_the_loop.py and
spawn_vs_exec.py): the portal does not import the grader, so they are restated here, and
a change there must be made here too. A later issue moves the diagnoses into the
GradeResult, and this module goes away with it.
"""

from __future__ import annotations

# --- the grader's unblock-the-loop thresholds ------------------------------------------
MIN_EFFICIENCY = 0.55  # a speedup below this share of the ideal misses the bonus; the
# grader's own split below it means the host was too busy to measure (inconclusive)
RESPONSIVE_MAX_STALL_RATIO = 0.25  # a worker run's p99 stall over the blocking run's
# Where the work ran, as shares of the blocking run's CPU time (the job's cost).
MAIN_THREAD_MAX_SHARE = 0.3  # the main thread's CPU with workers: 1, at most
MAIN_THREAD_MAX_SHARE_N = 0.4  # ... with workers: N (starting N workers costs it more)
WORKER_THREADS_MIN_SHARE = 0.6  # the worker threads' CPU, at least, when they did the job
NEARLY_ALL_WORK = 0.8  # the busiest thread's share of the worker threads' CPU time
# The workers' average concurrency (or parallelism) below 1 + this x (N - 1): they worked
# one after another. The portal counts N as min(N, the quota's CPUs): on a 1-CPU quota
# no split can run at once, and that is not the code's doing.
SEQUENTIAL_CONCURRENCY = 0.5
DUPLICATED_WORK_CPU = 1.4  # N workers' CPU time over the grader's own split's
DUPLICATED_WORK_CPU_OLD = 1.5  # ... over the blocking run's, for runs without the split's
THROTTLED_SHARE = 0.10  # share of CFS periods throttled: "the quota held it back"

# --- the grader's spawn-vs-exec thresholds ------------------------------------------------
STREAMING_MAX_MEMORY_RATIO = 0.5  # the student's memory growth over exec's
BUFFERING_CALLS = ("exec", "execFile", "spawnSync", "execSync", "execFileSync")
