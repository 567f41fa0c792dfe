'use strict';
// When the driver of "Unblock the loop" may stop repeating (README.md, "How it runs"): as
// soon as the repetitions still to come cannot change any check the grader would judge,
// nor the verdict and score it would give. The figures are medians over the repetitions
// (and a few maxima and minima), so the repetitions still to come can only move each one
// within bounds the ones timed already fix: with 2 of 3 timed, the median of 3 lies between
// those 2, whatever the third is. Each check below is the grader's own rule
// (services/grader/grader/adapters/node/labs/unblock_the_loop.py and grader/speedup.py, the
// same lines: a Python test holds them equal), judged over those bounds in three-valued
// logic (../bounds.js): a comparison is true, false, or "either" when the bounds straddle
// its line, and a check that could come out two ways is not decided. Not a guess about noise: a repetition
// is skipped only when no figure it could bring would change a check.
//
// It runs in the student's process after the student's file loaded, so it uses no method a
// student could replace on a prototype: plain loops and indexing, and Math's functions
// captured at load (the driver requires it before loading the student's file).

const {
  above,
  and,
  atLeast,
  atMost,
  below,
  branch,
  exceeds,
  maximumBounds,
  medianBounds,
  minimumBounds,
  or,
  roundTo,
  scaled,
} = require('../bounds.js');

const { max, min } = Math;

// The grader's lines (unblock_the_loop.py, speedup.py; held equal by tests/grader).
const MAIN_THREAD_MAX_SHARE = 0.3;
const MAIN_THREAD_MAX_SHARE_N = 0.4;
const WORKER_THREADS_MIN_SHARE = 0.6;
const RESPONSIVE_MAX_STALL_RATIO = 0.25;
const MIN_EFFICIENCY = 0.55;
const NEARLY_ALL_WORK = 0.8;
const DUPLICATED_WORK_CPU = 1.4;
const SEQUENTIAL_CONCURRENCY = 0.2;
const KEEPS_UP_WITH_REFERENCE = 0.8;
const TRAILS_REFERENCE = 0.7;
const MIN_TRAIL_REPETITIONS = 2;
// lab.js: a blocking run shorter than this makes the whole run the grader's to redo.
const MIN_BLOCKING_MS = 100;

// A check's possible outcomes, as bits: one bit set means decided.
const PASS = 1;
const FAIL = 2;
const UNSURE = 4;

const VARIANTS = ['blocking', 'one_worker', 'n_workers', 'reference_workers'];
const NONE = [];

/**
 * The variants the next repetition must time, none when more repetitions could not change
 * the grading. `runs` are the driver's `lab_run` records so far; `plan`: {workers, repeats
 * (the repetitions asked), cpuQuotaCpus (or null), tickMs (the thread clock's precision, 0
 * or null for nanoseconds)}. None when the checks, the verdict and the score come out the
 * same whether the driver stops now or times every repetition asked. A variant is left out
 * when every check that reads its figures is decided already: one_worker's are read by
 * uses_worker and keeps_loop_responsive, n_workers' by uses_worker, splits_over_workers and
 * speeds_up, reference_workers' by uses_worker and speeds_up. The blocking run times the job
 * every other variant is measured against (its answer, its CPU time), so it always runs.
 */
function variantsNeeded(runs, plan) {
  const timed = repetitionsTimed(runs);
  const missing = max(0, plan.repeats - timed);
  if (missing === 0) return NONE;
  for (let i = 0; i < runs.length; i++) {
    // A wrong answer of solve() already fails correct_result, and every later check with it.
    const variant = runs[i].variant;
    const answers = variant === 'one_worker' || variant === 'n_workers';
    if (answers && runs[i].correct !== true) return NONE;
  }
  const f = figures(runs, missing, plan);
  const tooShort = below(f.blockingWall, MIN_BLOCKING_MS);
  if (tooShort === true) return NONE; // the grader's own fault: redone whatever comes
  if (tooShort !== false) return VARIANTS;
  const usesWorkerCan = usesWorkerOutcomes(f, plan);
  const responsiveCan = responsiveOutcomes(f);
  const usesWorker = single(usesWorkerCan);
  const responsive = single(responsiveCan);
  // A required check that fails fixes the verdict (failed) and the score (the share of
  // required checks that hold): the bonus checks no longer count.
  const failed = usesWorkerCan === FAIL || responsiveCan === FAIL;
  if (usesWorker && responsive && failed) return NONE;
  const splits = single(splitsOutcomes(f, plan));
  const speedsUp = single(speedsUpOutcomes(f, plan, timed));
  const needs = {
    one_worker: !(usesWorker && responsive),
    n_workers: !(usesWorker && splits && speedsUp),
    reference_workers: !(usesWorker && speedsUp),
  };
  if (!needs.one_worker && !needs.n_workers && !needs.reference_workers) return NONE;
  const needed = ['blocking'];
  for (let i = 1; i < VARIANTS.length; i++) {
    if (needs[VARIANTS[i]]) needed[needed.length] = VARIANTS[i];
  }
  return needed;
}

/** Whether more repetitions could change the grading (no variant is needed any more). */
function decided(runs, plan) {
  return variantsNeeded(runs, plan).length === 0;
}

function single(outcomes) {
  return outcomes === PASS || outcomes === FAIL || outcomes === UNSURE;
}

function repetitionsTimed(runs) {
  let count = 0;
  for (let i = 0; i < runs.length; i++) count = max(count, runs[i].repeat + 1);
  return count;
}

/** Bounds [low, high] of every figure a check reads, whatever the missing repetitions bring. */
function figures(runs, missing, plan) {
  const blocking = 'blocking';
  const one = 'one_worker';
  const many = 'n_workers';
  const reference = 'reference_workers';
  const median = (variant, key, digits) =>
    medianBounds(values(runs, variant, key), missing, digits);
  const quota = plan.cpuQuotaCpus;
  return {
    blockingWall: median(blocking, 'wall_ms', 1),
    job: median(blocking, 'cpu_ms', 1),
    blockingStall: median(blocking, 'p99_ms', 1),
    oneStall: median(one, 'p99_ms', 1),
    main: {
      one_worker: median(one, 'main_thread_cpu_ms', 1),
      n_workers: median(many, 'main_thread_cpu_ms', 1),
    },
    work: {
      one_worker: median(one, 'worker_threads_cpu_ms', 1),
      n_workers: median(many, 'worker_threads_cpu_ms', 1),
    },
    referenceMain: median(reference, 'main_thread_cpu_ms', 1),
    referenceWork: median(reference, 'worker_threads_cpu_ms', 1),
    busy: maximumBounds(values(runs, many, 'busy_threads'), missing),
    busiestShare: median(many, 'busiest_thread_share', 3),
    concurrency: median(many, 'concurrency', 2),
    speedup: medianBounds(ratios(runs, blocking, many), missing, 2),
    referenceSpeedup: medianBounds(ratios(runs, blocking, reference), missing, 2),
    referenceLow: minimumBounds(ratios(runs, blocking, reference), missing, 2),
    pace: medianBounds(ratios(runs, reference, many), missing, 2),
    bestPace: maximumBounds(ratios(runs, reference, many), missing, 2),
    ideal: roundTo(typeof quota === 'number' ? min(plan.workers, quota) : plan.workers, 2),
  };
}

/** The finite values of `key` over `variant`'s runs. */
function values(runs, variant, key) {
  const found = [];
  for (let i = 0; i < runs.length; i++) {
    const value = runs[i][key];
    const finite = typeof value === 'number' && value - value === 0; // not NaN, not infinite
    if (runs[i].variant === variant && finite) found[found.length] = value;
  }
  return found;
}

/** Per repetition, `baseline`'s wall time over `variant`'s (lab.js pairedRatios). */
function ratios(runs, baseline, variant) {
  const found = [];
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i];
    if (run.variant !== variant || run.correct !== true || !(run.wall_ms > 0)) continue;
    for (let j = 0; j < runs.length; j++) {
      const base = runs[j];
      if (base.variant === baseline && base.repeat === run.repeat && base.correct) {
        found[found.length] = base.wall_ms / run.wall_ms;
        break;
      }
    }
  }
  return found;
}

/** uses_worker (unblock_the_loop._uses_worker), both variants in the grader's order. */
function usesWorkerOutcomes(f, plan) {
  if (f.job === null || !(f.job[0] > 0)) return FAIL | PASS | UNSURE;
  const tick = plan.tickMs > 0 ? plan.tickMs : 0;
  const limits = [
    ['one_worker', 1, MAIN_THREAD_MAX_SHARE],
    ['n_workers', plan.workers, MAIN_THREAD_MAX_SHARE_N],
  ];
  // main_thread_job_cpu: the variant's main thread beyond the grader's split's (0 without it).
  const overhead = f.referenceMain === null ? [0, 0] : f.referenceMain;
  const mainOf = (variant) => {
    const main = f.main[variant];
    return main === null ? null : [max(0, main[0] - overhead[1]), max(0, main[1] - overhead[0])];
  };
  const step = (index, tooClose) => {
    if (index === limits.length) {
      return tooClose === true ? UNSURE : tooClose === false ? PASS : UNSURE | PASS;
    }
    const variant = limits[index][0];
    const asked = limits[index][1];
    const limit = limits[index][2];
    const main = mainOf(variant);
    const work = f.work[variant];
    if (main === null || work === null) return FAIL | PASS | UNSURE;
    const mainMargin = tick;
    const workMargin = tick * max(1, asked);
    // Each line compared with the job's bounds: a product of bounds, both non-negative.
    const mainLine = (margin) => [limit * f.job[0] + margin, limit * f.job[1] + margin];
    const share = WORKER_THREADS_MIN_SHARE;
    const workLine = (margin) => [share * f.job[0] + margin, share * f.job[1] + margin];
    return branch(exceeds(main, mainLine(mainMargin)), () => FAIL, () =>
      branch(exceeds(workLine(-workMargin), work), () => FAIL, () => {
        const close = or(exceeds(main, mainLine(-mainMargin)), exceeds(workLine(workMargin), work));
        return step(index + 1, or(tooClose, close));
      }),
    );
  };
  return step(0, false);
}

/** keeps_loop_responsive: the one-worker stall over the blocking one (lab.js stallRatio). */
function responsiveOutcomes(f) {
  const stall = f.blockingStall;
  const wall = f.blockingWall;
  if (f.oneStall === null || stall === null || wall === null) return FAIL | PASS;
  const blocked = [min(stall[0], wall[0]), min(stall[1], wall[1])];
  if (!(blocked[0] > 0)) return FAIL | PASS;
  const ratio = [roundTo(f.oneStall[0] / blocked[1], 3), roundTo(f.oneStall[1] / blocked[0], 3)];
  return branch(atMost(ratio, RESPONSIVE_MAX_STALL_RATIO), () => PASS, () => FAIL);
}

/** splits_over_workers: at least N busy threads in some n_workers run. */
function splitsOutcomes(f, plan) {
  if (f.busy === null) return FAIL | PASS;
  return branch(atLeast(f.busy, plan.workers), () => PASS, () => FAIL);
}

/** speeds_up (unblock_the_loop._speeds_up with speedup.call_speedup). */
function speedsUpOutcomes(f, plan, timed) {
  if (f.speedup === null || !f.ideal || f.busy === null) return FAIL | PASS | UNSURE;
  const workers = plan.workers;
  const target = MIN_EFFICIENCY * f.ideal;
  const notParallel = [
    below(f.busy, workers),
    atLeast(f.busiestShare, NEARLY_ALL_WORK),
    duplicated(f),
    below(f.concurrency, 1 + SEQUENTIAL_CONCURRENCY * (workers - 1)),
  ];
  let structure = false;
  for (let i = 0; i < notParallel.length; i++) structure = or(structure, notParallel[i]);
  return branch(structure, () => FAIL, () =>
    branch(atLeast(f.speedup, target), () => PASS, () =>
      branch(keptUp(f, target), () => PASS, () =>
        branch(
          and(
            and(enoughRepetitions(timed, plan.repeats), atLeast(f.referenceLow, target)),
            below(f.bestPace, TRAILS_REFERENCE),
          ),
          () => FAIL,
          () => UNSURE,
        ),
      ),
    ),
  );
}

/** KEPT_UP: the grader's split reached the target and the code kept up with its pace. */
function keptUp(f, target) {
  return and(atLeast(f.referenceSpeedup, target), atLeast(f.pace, KEEPS_UP_WITH_REFERENCE));
}

/** Whether the grader will count enough repetitions to call a trail: now, or at the end. */
function enoughRepetitions(timed, asked) {
  const now = timed >= MIN_TRAIL_REPETITIONS;
  const atEnd = asked >= MIN_TRAIL_REPETITIONS;
  return now === atEnd ? now : null;
}

/** N workers' CPU time above DUPLICATED_WORK_CPU x the grader's split's (both medians, > 0). */
function duplicated(f) {
  if (f.work.n_workers === null || f.referenceWork === null) return null;
  const cpu = f.work.n_workers;
  const reference = f.referenceWork;
  // The grader tests `cpu and reference and cpu > 1.4 * reference`: zero means no.
  if (cpu[1] <= 0 || reference[1] <= 0) return false;
  if (cpu[0] <= 0 || reference[0] <= 0) return null;
  return exceeds(cpu, scaled(reference, DUPLICATED_WORK_CPU));
}

module.exports = {
  decided,
  variantsNeeded,
  // The lines, for the test that holds them equal to the grader's.
  LINES: {
    MAIN_THREAD_MAX_SHARE,
    MAIN_THREAD_MAX_SHARE_N,
    WORKER_THREADS_MIN_SHARE,
    RESPONSIVE_MAX_STALL_RATIO,
    MIN_EFFICIENCY,
    NEARLY_ALL_WORK,
    DUPLICATED_WORK_CPU,
    SEQUENTIAL_CONCURRENCY,
    KEEPS_UP_WITH_REFERENCE,
    TRAILS_REFERENCE,
    MIN_TRAIL_REPETITIONS,
    MIN_BLOCKING_MS,
  },
};
