'use strict';
// The harness's side of "Unblock the loop" (README.md): the settings its driver runs with,
// taken from the lab's check_config and clamped (course content is trusted less than code),
// and the report's measurements, built from the driver's timed runs. It runs in the harness
// process, never in the student's.

const { roundTo, spread } = require('../../harness/stats.js');
const { clampSettings } = require('../settings.js');

const VARIANTS = ['blocking', 'one_worker', 'n_workers', 'reference_workers'];
// stop_when_decided: 1 stops repeating once the repetitions still to come could not change
// the grading (stopping-rule.js); 0 always times `repeats` of them (to compare the two).
const DEFAULTS = Object.freeze({
  workers: 2,
  repeats: 3,
  target_ms: 450,
  pause_ms: 100,
  stop_when_decided: 1,
});
const BOUNDS = Object.freeze({
  workers: [2, 8],
  repeats: [1, 7],
  target_ms: [100, 2000],
  pause_ms: [0, 500],
  stop_when_decided: [0, 1],
});

// A blocking run shorter than this (ten ticks of the delay histogram) cannot show a stall
// worth comparing: the job was sized wrong, which is ours to redo, never the student's fault.
const MIN_BLOCKING_MS = 100;

/** Files put next to the student's, overwriting any of the same name. */
const PROVIDED_FILES = ['task.js'];
/** No reference process: the blocking run is the driver's own, in the student's process. */
const HAS_REFERENCE = false;

/** The driver's settings: check_config's values where valid, clamped, else the defaults. */
function settings(checkConfig) {
  return clampSettings(checkConfig, DEFAULTS, BOUNDS);
}

/**
 * The report's lab measurements (shape: harness-report.json, `measurements`): the job,
 * per way of running it the medians and spreads of its timed runs, the speedup of N
 * workers over the blocking run against the quota's ideal (and the grader's own split's,
 * measured alongside), and how much of the blocking stall each worker variant kept.
 */
function summarize({ facts, runs, cpuQuotaCpus }) {
  const workers = facts.workers ?? DEFAULTS.workers;
  const variants = {};
  for (const name of VARIANTS) variants[name] = summarizeVariant(runs.filter((r) => r.variant === name));
  const ideal = cpuQuotaCpus === null ? workers : Math.min(workers, cpuQuotaCpus);
  const speedups = pairedRatios(runs, 'blocking', 'n_workers');
  const speedup = spread(speedups, 2);
  const blockingMs = variants.blocking?.wall_ms?.median ?? null;
  const tooShort = blockingMs !== null && blockingMs < MIN_BLOCKING_MS;
  return {
    workers,
    items: facts.items ?? null,
    repeats: facts.repeats ?? null,
    // How many repetitions were asked, and why fewer were timed: `decided` (more could not
    // change the grading), `time_budget` (a busy host), or null (all of them).
    repeats_asked: facts.repeats_asked ?? null,
    stopped: facts.stopped ?? null,
    // The quiet before each timed call: pause_ms, or the measuring's own 40 ms where the
    // quota cannot be used up (driver.js, quietBeforeCalls).
    quiet_ms: facts.quiet_ms ?? null,
    // The CPU time the job was sized for, and the clock that timed the calibration.
    job: { cpu_ms: facts.job_ms ?? null, clock: facts.calibration_clock ?? null },
    thread_cpu: {
      source: facts.thread_cpu_source ?? null,
      precision_ms: facts.thread_cpu_precision_ms ?? null,
    },
    problem: tooShort ? 'inconclusive' : (facts.problem ?? (runs.length === 0 ? 'not_measured' : null)),
    problem_detail: tooShort
      ? `the blocking run took ${blockingMs} ms, under the ${MIN_BLOCKING_MS} ms needed to time it`
      : (facts.error ?? null),
    variants,
    speedup:
      speedup === null
        ? null
        : { ...speedup, ideal: roundTo(ideal, 2), efficiency: roundTo(speedup.median / ideal, 2) },
    one_worker_speedup: spread(pairedRatios(runs, 'blocking', 'one_worker'), 2),
    reference_speedup: spread(pairedRatios(runs, 'blocking', 'reference_workers'), 2),
    // Same repetition, adjacent runs: a busy host slows both alike, and cancels out here.
    n_workers_vs_reference: spread(pairedRatios(runs, 'reference_workers', 'n_workers'), 2),
    loop_delay_p99_ratio: {
      one_worker: stallRatio(variants.one_worker, variants.blocking),
      n_workers: stallRatio(variants.n_workers, variants.blocking),
    },
  };
}

function summarizeVariant(runs) {
  if (runs.length === 0) return null;
  const sum = (key) =>
    runs.every((run) => typeof run[key] === 'number')
      ? roundTo(runs.reduce((total, run) => total + run[key], 0), 1)
      : null;
  const values = (key) => runs.map((run) => run[key]);
  return {
    workers: runs[0].workers,
    runs: runs.length,
    correct: runs.every((run) => run.correct === true),
    error: runs.find((run) => run.error)?.error ?? null,
    wall_ms: spread(values('wall_ms')),
    cpu_ms: spread(values('cpu_ms')),
    loop_delay_p50_ms: spread(values('p50_ms')),
    loop_delay_p99_ms: spread(values('p99_ms')),
    loop_delay_max_ms: spread(values('max_ms')),
    event_loop_utilization: spread(values('event_loop_utilization'), 3),
    peak_workers: Math.max(...runs.map((run) => run.peak_workers ?? 0)),
    // Where the work ran (driver.js, threadFields): per-thread CPU time (schedstat or stat).
    main_thread_cpu_ms: spread(values('main_thread_cpu_ms')),
    worker_threads_cpu_ms: spread(values('worker_threads_cpu_ms')),
    busy_threads: maxOrNull(values('busy_threads')),
    busiest_thread_share: spread(values('busiest_thread_share'), 3),
    parallelism: spread(
      runs.map((run) =>
        typeof run.worker_threads_cpu_ms === 'number' && run.wall_ms > 0
          ? run.worker_threads_cpu_ms / run.wall_ms
          : null,
      ),
      2,
    ),
    concurrency: spread(values('concurrency'), 2),
    throttling: {
      periods: sum('periods'),
      throttled_periods: sum('throttled_periods'),
      throttled_ms: sum('throttled_ms'),
    },
  };
}

function maxOrNull(values) {
  const numbers = values.filter((value) => typeof value === 'number');
  return numbers.length === 0 ? null : Math.max(...numbers);
}

/** Per repetition: `baseline`'s wall time over `variant`'s, for pairs of correct runs. */
function pairedRatios(runs, baseline, variant) {
  const ratios = [];
  for (const run of runs) {
    if (run.variant !== variant || run.correct !== true || !(run.wall_ms > 0)) continue;
    const base = runs.find(
      (other) => other.variant === baseline && other.repeat === run.repeat && other.correct,
    );
    if (base !== undefined) ratios.push(base.wall_ms / run.wall_ms);
  }
  return ratios;
}

/**
 * A worker variant's median p99 stall over the blocking run's. The blocking stall is capped
 * by the blocking run's wall time: the main thread cannot be stalled longer than the call
 * that blocked it, whatever else ran in the process.
 */
function stallRatio(variant, blocking) {
  if (variant === null || blocking === null) return null;
  const stall = variant.loop_delay_p99_ms?.median;
  const blocked = Math.min(blocking.loop_delay_p99_ms?.median ?? 0, blocking.wall_ms?.median ?? 0);
  if (typeof stall !== 'number' || !(blocked > 0)) return null;
  return roundTo(stall / blocked, 3);
}

module.exports = { HAS_REFERENCE, PROVIDED_FILES, settings, summarize };
