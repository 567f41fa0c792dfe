"""The limits A.D.A.'s diagnoses compare the grader's measurements with, in one place.

They mirror the graders' own (services/grader/grader/labs/unblock_the_loop.py and
spawn_vs_exec.py) or read the measurements the unblock-the-loop harness reports about
threads; the portal does not import the grader, so they are restated here. A later issue
moves the diagnoses into the GradeResult, and this module goes away with it.
"""

from __future__ import annotations

# --- the grader's unblock-the-loop thresholds ------------------------------------------
MIN_EFFICIENCY = 0.55  # a speedup below this share of the ideal one misses the bonus
RESPONSIVE_MAX_STALL_RATIO = 0.25  # a worker run's p99 stall over the blocking run's
DUPLICATED_WORK_CPU = 1.5  # N-worker CPU time over the blocking run's: work done twice
THROTTLED_SHARE = 0.10  # share of CFS periods throttled: "the quota held it back"

# --- readings of the harness's thread measurements ---------------------------------------
# Non-main CPU over wall time at or below this, with two or more workers asked for on two
# or more CPUs: the workers did not run at the same time.
SEQUENTIAL_PARALLELISM = 1.3
# The busiest non-main thread's share of all non-main CPU at or above this: one worker did
# (nearly) all the items.
ONE_WORKER_SHARE = 0.85
# Main-thread CPU during a worker run over the blocking run's CPU at or above this: the
# job still ran on the main thread.
MAIN_THREAD_WORK_SHARE = 0.5
# The grader's own split over N workers below this share of the ideal speedup: the host
# was too busy for the timings to mean much.
HOST_BUSY_EFFICIENCY = 0.55

# --- the grader's spawn-vs-exec thresholds ------------------------------------------------
STREAMING_MAX_MEMORY_RATIO = 0.5  # the student's memory growth over exec's
BUFFERING_CALLS = ("exec", "execFile", "spawnSync", "execSync", "execFileSync")
