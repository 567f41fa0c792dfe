'use strict';
// The driver of "Unblock the loop" (README.md): the main script of the student's process.
// It runs the same heavy job three ways and measures each, repeated:
//   blocking    crunch() called right here, on the main thread (the grader's own copy)
//   one_worker  the student's solve(job, { workers: 1 })
//   n_workers   the student's solve(job, { workers: N })
// For each run it reports (as a `lab_run` measurement) the wall and CPU time, the main
// thread's event-loop delay (monitorEventLoopDelay: p50, p99, max, as stalls beyond the
// timer's resolution), its event-loop utilisation, the most workers online at once (from
// the hooks) and the container's CPU throttling (cgroup cpu.stat) during the run. The
// harness (lab.js) turns the runs into medians, spreads and ratios; the grader judges.
//
// The job's size is calibrated here so that the blocking run takes about target_ms on this
// machine: long enough that starting a worker (tens of ms) does not dominate, short enough
// that a whole grading stays within seconds. Seeds are random per repetition, and each
// repetition runs the three ways in a rotated order, a CFS period apart.

const kit = require('../driver-kit.js');

const channel = kit.takeChannel();
const { cpuStatDelta, readCpuStat } = require('../../harness/cgroup.js');
const { crunch } = require('./task.js');

const VARIANTS = ['blocking', 'one_worker', 'n_workers'];
const RESOLUTION_MS = 10;
const CALIBRATION_MS = 40;
const MIN_ITEMS = 2000;
const MAX_ITEMS = 5000000;
const CHECK_TIMEOUT_MS = 5000;
const { max, min, round } = Math;

async function main() {
  if (channel === null) return; // the hooks failed to install: the harness reports it
  const [entryPath, configText] = process.argv.slice(2);
  const config = JSON.parse(configText);
  const items = calibrate(config.target_ms);
  const facts = {
    workers: config.workers,
    repeats: config.repeats,
    items,
    target_ms: config.target_ms,
  };

  const loaded = await kit.loadExport(entryPath, 'solve');
  if (loaded.error !== null) {
    channel.send('lab_fact', { ...facts, problem: 'load_error', error: kit.errorLine(loaded.error) });
    kit.printError(loaded.error);
    kit.exitProcess(1);
    return;
  }
  const solve = loaded.value;
  if (typeof solve !== 'function') {
    channel.send('lab_fact', { ...facts, problem: 'solve_missing', error: null });
    kit.exitProcess(0);
    return;
  }

  const problem = await checkAnswer(solve, max(config.workers * 8, round(items / 50)), config);
  channel.send('lab_fact', { ...facts, ...problem });
  if (problem.problem !== null) {
    kit.exitProcess(0);
    return;
  }

  const callTimeoutMs = config.target_ms * 10 + 5000;
  for (let repeat = 0; repeat < config.repeats; repeat++) {
    const seed = kit.randomInt(1, 2 ** 31);
    const runs = {};
    for (let step = 0; step < VARIANTS.length; step++) {
      const variant = VARIANTS[(step + repeat) % VARIANTS.length];
      await kit.sleep(config.pause_ms);
      runs[variant] = await measure(variant, { solve, seed, items, config, callTimeoutMs });
    }
    const expected = runs.blocking.result;
    let failure = null;
    for (const variant of VARIANTS) {
      const run = runs[variant];
      const correct = run.error === null && run.result === expected;
      channel.send('lab_run', { ...run.fields, repeat, correct, error: run.error });
      if (run.error !== null && failure === null) failure = run.error;
    }
    if (failure !== null) {
      channel.send('lab_fact', { problem: failure.startsWith('TimeoutError') ? 'timeout' : 'threw' });
      break;
    }
  }
  kit.exitProcess(0);
}

/** How many items take about `targetMs` of this machine's CPU on the main thread. */
function calibrate(targetMs) {
  let count = 100;
  let elapsed = 0;
  // Doubling until one call takes CALIBRATION_MS also warms crunch() up (V8 optimises it),
  // so the last, measured call runs at the speed of the timed runs.
  for (;;) {
    const started = kit.now();
    crunch(1, 0, count);
    elapsed = kit.now() - started;
    if (elapsed >= CALIBRATION_MS || count >= MAX_ITEMS) break;
    count *= 2;
  }
  return min(MAX_ITEMS, max(MIN_ITEMS, round((targetMs / elapsed) * count)));
}

/** One small job first: a wrong, failing or hanging solve() is reported before any timing. */
async function checkAnswer(solve, items, config) {
  const seed = kit.randomInt(1, 2 ** 31);
  let answer;
  try {
    answer = await kit.withTimeout(solve({ seed, items }, { workers: config.workers }), CHECK_TIMEOUT_MS);
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return { problem: timedOut ? 'timeout' : 'threw', error: kit.errorLine(error) };
  }
  const expected = crunch(seed, 0, items);
  if (answer === expected) return { problem: null, error: null };
  return {
    problem: 'wrong_result',
    error: `solve() resolved to ${describe(answer)} for ${items} items; the checksum is ${expected}`,
  };
}

/** Run one way of doing the job under measurement. */
async function measure(variant, { solve, seed, items, config, callTimeoutMs }) {
  const workers = variant === 'blocking' ? 0 : variant === 'one_worker' ? 1 : config.workers;
  const call =
    variant === 'blocking' ? () => crunch(seed, 0, items) : () => solve({ seed, items }, { workers });
  const delay = kit.startLoopDelay(RESOLUTION_MS);
  // Let the delay timer tick first: monitorEventLoopDelay records the gap between two ticks,
  // so a stall that starts before its first tick would go unrecorded.
  await kit.sleep(2 * RESOLUTION_MS);
  channel.resetPeakWorkers();
  const statBefore = readCpuStat();
  const cpuBefore = kit.cpuUsage();
  const utilizationBefore = kit.eventLoopUtilization();
  const started = kit.now();
  let result = null;
  let error = null;
  try {
    result = await kit.withTimeout(call(), callTimeoutMs);
  } catch (thrown) {
    error = kit.errorLine(thrown);
  }
  const wallMs = kit.now() - started;
  const cpu = kit.cpuUsage(cpuBefore);
  const utilization = kit.eventLoopUtilization(utilizationBefore).utilization;
  const throttling = cpuStatDelta(statBefore, readCpuStat());
  const peakWorkers = channel.workerCounts().peak_online;
  // The tick after a blocked stretch is the one that records it.
  await kit.sleep(2 * RESOLUTION_MS);
  const loop = delay.stop();
  return {
    result,
    error,
    fields: {
      variant,
      workers,
      items,
      wall_ms: round(wallMs * 10) / 10,
      cpu_ms: round((cpu.user + cpu.system) / 100) / 10,
      event_loop_utilization: round(utilization * 1000) / 1000,
      ...loop,
      peak_workers: peakWorkers,
      periods: throttling === null ? null : throttling.periods,
      throttled_periods: throttling === null ? null : throttling.throttled_periods,
      throttled_ms: throttling === null ? null : throttling.throttled_ms,
    },
  };
}

function describe(value) {
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'undefined';
  return `a ${typeof value}`;
}

main().catch((error) => {
  // A bug of ours, not the student's: the harness turns this fact into a harness_error.
  if (channel !== null) channel.send('lab_fact', { driver_error: kit.errorLine(error) });
  kit.exitProcess(70);
});
