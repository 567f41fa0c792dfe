'use strict';
// The driver of "Unblock the loop" (README.md): the main script of the student's process.
// It runs the same heavy job four ways and measures each, repeated:
//   blocking           crunch() called right here, on the main thread (the grader's own copy)
//   one_worker         the student's solve(job, { workers: 1 })
//   n_workers          the student's solve(job, { workers: N })
//   reference_workers  the grader's own split over N workers: what this machine allowed at
//                      that moment, so that a host busy with other work is not blamed on
//                      the student's code
// For each run it reports (as a `lab_run` measurement) the wall and CPU time, the main
// thread's event-loop delay (monitorEventLoopDelay: p50, p99, max, as stalls beyond the
// timer's resolution), its event-loop utilisation, the most workers online at once (from
// the hooks), the container's CPU throttling (cgroup cpu.stat) during the run, and where
// the work ran: each thread's CPU time (/proc/self/task/<tid>/schedstat, sampled while
// the call runs), so that the main thread's share, the threads that really worked and
// whether they worked at the same time are measured, not inferred from what was started.
// The harness (lab.js) turns the runs into medians, spreads and ratios; the grader judges.
//
// The job's size is calibrated here so that the blocking run takes about target_ms on this
// machine: long enough that starting a worker (tens of ms) does not dominate, short enough
// that a whole grading stays within seconds. Under gVisor, whose clocks tick every 10 ms
// and where starting a worker costs hundreds of ms, it is timed on the main thread's own
// ticks and lasts at least JOB_TICKS of them (calibrate). Seeds are random per repetition,
// and each repetition runs the three ways in a rotated order, a CFS period apart.

const kit = require('../driver-kit.js');

const channel = kit.takeChannel();
const { EventEmitter } = require('events');
const os = require('os');
const path = require('path');
const { Worker } = require('worker_threads');
const { cpuStatDelta, readCpuStat } = require('../../harness/cgroup.js');
const { combine, crunch } = require('./task.js');
const { variantsNeeded } = require('./stopping-rule.js');

const VARIANTS = ['blocking', 'one_worker', 'n_workers', 'reference_workers'];
const TASK_PATH = path.join(__dirname, 'task.js');
const REFERENCE_WORKER = `
const { parentPort, workerData } = require('worker_threads');
const { crunch } = require(workerData.taskPath);
parentPort.postMessage(crunch(workerData.seed, workerData.start, workerData.count));
`;
const once = EventEmitter.prototype.once;
const reflectApply = Reflect.apply;
const PromiseAll = Promise.all.bind(Promise);
const PromiseOriginal = Promise;
const RESOLUTION_MS = 10;
// The quiet the measuring itself keeps around a call: the delay histogram runs 2 ticks
// before it and 2 after.
const MEASURING_QUIET_MS = 4 * RESOLUTION_MS;
const CALIBRATION_MS = 40;
// Where the thread clock ticks (gVisor: 10 ms, `thread_cpu.precision_ms`), the calibration
// call runs for at least this many ticks, so one tick more or less is 5% of it; and the
// fastest of CALIBRATION_TRIES calls counts: gVisor charges a thread a tick whenever the
// 10 ms ticker finds it running, so a host that keeps it waiting inflates its CPU time
// the way it inflates wall time, never deflates it.
const CALIBRATION_TICKS = 20;
const CALIBRATION_TRIES = 3;
// ... and the job itself lasts at least this many ticks: starting a worker costs gVisor
// hundreds of ms of the main thread's and the worker's ticks (runc: tens of ms), which a
// job sized for runc's costs would be lost in, so the checks that compare threads' CPU time
// and the speedup would land near their lines.
const JOB_TICKS = 100;
// A floor so that a calibration gone wrong still gives a job far longer than the 10 ms
// sampling resolution (about 100 ms at this project's hosts' speed).
const MIN_ITEMS = 20000;
const MAX_ITEMS = 5000000;
const CHECK_TIMEOUT_MS = 5000;
// No repetition is started that might end after this much time since the process started
// (the lab's wall-time limit is 25 s; starting Node, calibrating and the check call come
// first, and the harness needs a moment to write its report after).
const TIME_BUDGET_MS = 18000;
// How often a call's threads are sampled: a thread that ends loses at most this much of
// its CPU time from its own account (the process total keeps all of it).
const THREAD_SAMPLE_MS = 10;
// A thread is busy in a run when it used at least this share of the blocking run's CPU
// time divided by the workers asked (a fair share is 1/N; V8's and libuv's helper threads
// use far less).
const BUSY_SHARE_OF_FAIR = 0.25;
const { max, min, round } = Math;

async function main() {
  if (channel === null) return; // the hooks failed to install: the harness reports it
  const [entryPath, configText] = process.argv.slice(2);
  const config = JSON.parse(configText);
  const { items, jobMs, clock } = calibrate(config.target_ms);
  const quietMs = quietBeforeCalls(config);
  const facts = {
    workers: config.workers,
    repeats: config.repeats,
    repeats_asked: config.repeats,
    stopped: null,
    items,
    target_ms: config.target_ms,
    job_ms: jobMs,
    calibration_clock: clock,
    quiet_ms: quietMs,
    thread_cpu_source: kit.threadCpuSource,
    thread_cpu_precision_ms: kit.threadCpuPrecisionMs,
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
  const plan = {
    workers: config.workers,
    repeats: config.repeats,
    cpuQuotaCpus: typeof config.cpu_quota_cpus === 'number' ? config.cpu_quota_cpus : null,
    tickMs: kit.threadCpuPrecisionMs,
  };
  const timed = [];
  let slowestRepeatMs = 0;
  // When the last timed call returned: the quiet time before the next call counts from
  // there, so the measuring after a call and before the next (20 ms each, the main thread
  // idle) are part of it.
  let lastCallEnded = null;
  let needed = VARIANTS;
  for (let repeat = 0; repeat < config.repeats; repeat++) {
    if (repeat > 0 && config.stop_when_decided === 1) {
      // Only the variants whose figures could still change a check (stopping-rule.js), and
      // none once the repetitions still to come could not change the grading: the grader
      // judges the ones timed.
      needed = variantsNeeded(timed, plan);
      if (needed.length === 0) {
        channel.send('lab_fact', { repeats: repeat, stopped: 'decided' });
        break;
      }
    }
    if (repeat > 0 && kit.now() + 1.5 * slowestRepeatMs > TIME_BUDGET_MS) {
      // A host so busy that another repetition could run into the wall-time limit: report
      // the repetitions timed so far (fewer of them leave a speed check inconclusive more
      // often) rather than let the noise end the run as a timeout, counted as a failure.
      channel.send('lab_fact', { repeats: repeat, stopped: 'time_budget' });
      break;
    }
    const repeatStarted = kit.now();
    const seed = kit.randomInt(1, 2 ** 31);
    const runs = {};
    for (let step = 0; step < VARIANTS.length; step++) {
      const variant = VARIANTS[(step + repeat) % VARIANTS.length];
      if (!isIn(needed, variant)) continue;
      const quietSoFar = lastCallEnded === null ? 0 : kit.now() - lastCallEnded;
      await kit.sleep(max(0, quietMs - quietSoFar - 2 * RESOLUTION_MS));
      runs[variant] = await measure(variant, { solve, seed, items, config, callTimeoutMs });
      lastCallEnded = runs[variant].ended;
    }
    slowestRepeatMs = max(slowestRepeatMs, kit.now() - repeatStarted);
    const expected = runs.blocking.result;
    const blockingCpuMs = runs.blocking.fields.cpu_ms;
    let failure = null;
    for (const variant of VARIANTS) {
      const run = runs[variant];
      if (run === undefined) continue; // left out: its checks are decided
      const correct = run.error === null && run.result === expected;
      const threads = threadFields(run, blockingCpuMs);
      const record = { ...run.fields, ...threads, repeat, correct, error: run.error };
      channel.send('lab_run', record);
      timed[timed.length] = record;
      if (run.error !== null && failure === null) failure = run.error;
    }
    if (failure !== null) {
      channel.send('lab_fact', { problem: failure.startsWith('TimeoutError') ? 'timeout' : 'threw' });
      break;
    }
  }
  kit.exitProcess(0);
}

/**
 * The quiet before each timed call, counted from the previous call's end (the measuring
 * after a call and before the next, 20 ms each, are part of it). `pause_ms`, one CFS period,
 * lets a CPU quota that a call used up refill before the next call starts, so that the next
 * is not throttled for the last one's work. Where the CPUs this process may run on (its
 * affinity, which a cpuset narrows) are no more than the quota's, no call can use the quota
 * up: its threads cannot run on more CPUs than there are, so a refill buys nothing and the
 * quiet is the measuring's own (a 2-CPU quota on a 2-core host, this project's). Only where
 * the kernel is the host's (nanosecond schedstat): gVisor shows its own CPU count, which
 * need not be the host's CPUs its sandbox runs on. Decided before the student's file loads.
 */
function quietBeforeCalls(config) {
  const quota = config.cpu_quota_cpus;
  const hostKernel = kit.threadCpuPrecisionMs === 0;
  const cpus = os.availableParallelism();
  if (hostKernel && typeof quota === 'number' && cpus > 0 && cpus <= quota) {
    return min(MEASURING_QUIET_MS, config.pause_ms);
  }
  return config.pause_ms;
}

/**
 * {items, jobMs, clock}: how many items take about `targetMs` (jobMs) of this machine's CPU on the main thread. Timed in
 * CPU time, not wall time: on a busy host the process may wait for a CPU in the middle of
 * a call, and a wall clock would take that wait for slowness and size a tiny job.
 *
 * Where the thread clock ticks (gVisor), process.cpuUsage() ticks too and charges the
 * process for the sandbox's work beyond the call (a 40 ms calibration there read 40 ms for
 * 100 items and sized a job of a few ms, raised to MIN_ITEMS): the main thread's own ticks
 * time the call instead, over CALIBRATION_TICKS of them, the fastest of CALIBRATION_TRIES,
 * and the job lasts at least JOB_TICKS. Under runc (nanosecond schedstat) nothing changes.
 */
function calibrate(targetMs) {
  const tickMs = kit.threadCpuPrecisionMs;
  if (!(tickMs > 0)) {
    return {
      items: sizeJob(targetMs, processCpuMs, CALIBRATION_MS, 1),
      jobMs: targetMs,
      clock: 'process',
    };
  }
  const jobMs = max(targetMs, JOB_TICKS * tickMs);
  return {
    items: sizeJob(jobMs, kit.mainThreadCpuMs, CALIBRATION_TICKS * tickMs, CALIBRATION_TRIES),
    jobMs,
    clock: 'main_thread',
  };
}

/** Items for `targetMs` on `clock`, from the fastest of `tries` calls lasting `leastMs`. */
function sizeJob(targetMs, clock, leastMs, tries) {
  let count = 100;
  let elapsed = 0;
  // Doubling until one call takes `leastMs` also warms crunch() up (V8 optimises it), so
  // the last, measured call runs at the speed of the timed runs.
  for (;;) {
    elapsed = timeCrunch(clock, count);
    if (elapsed >= leastMs || count >= MAX_ITEMS) break;
    count *= 2;
  }
  for (let i = 1; i < tries; i++) {
    const again = timeCrunch(clock, count);
    if (again > 0) elapsed = min(elapsed, again);
  }
  return min(MAX_ITEMS, max(MIN_ITEMS, round((targetMs / elapsed) * count)));
}

function timeCrunch(clock, count) {
  const before = clock();
  crunch(1, 0, count);
  return clock() - before;
}

function processCpuMs() {
  const used = kit.cpuUsage();
  return (used.user + used.system) / 1000;
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

/** The grader's own split: `workers` workers, each crunching a contiguous share. */
function referenceSplit(seed, items, workers) {
  const share = Math.ceil(items / workers);
  const parts = [];
  for (let start = 0; start < items; start += share) {
    const workerData = { seed, start, count: min(share, items - start), taskPath: TASK_PATH };
    parts.push(
      new PromiseOriginal((resolve, reject) => {
        const worker = new Worker(REFERENCE_WORKER, { eval: true, workerData });
        reflectApply(once, worker, ['message', resolve]);
        reflectApply(once, worker, ['error', reject]);
      }),
    );
  }
  return PromiseAll(parts).then((checksums) => checksums.reduce(combine, 0));
}

/** Run one way of doing the job under measurement. */
async function measure(variant, { solve, seed, items, config, callTimeoutMs }) {
  const workers = variant === 'blocking' ? 0 : variant === 'one_worker' ? 1 : config.workers;
  const calls = {
    blocking: () => crunch(seed, 0, items),
    one_worker: () => solve({ seed, items }, { workers }),
    n_workers: () => solve({ seed, items }, { workers }),
    reference_workers: () => referenceSplit(seed, items, workers),
  };
  const call = calls[variant];
  const delay = kit.startLoopDelay(RESOLUTION_MS);
  // Let the delay timer tick first: monitorEventLoopDelay records the gap between two ticks,
  // so a stall that starts before its first tick would go unrecorded.
  await kit.sleep(2 * RESOLUTION_MS);
  channel.resetPeakWorkers();
  const statBefore = readCpuStat();
  const cpuBefore = kit.cpuUsage();
  const utilizationBefore = kit.eventLoopUtilization();
  const threadCpu = kit.startThreadCpu(THREAD_SAMPLE_MS);
  const started = kit.now();
  let result = null;
  let error = null;
  try {
    result = await kit.withTimeout(call(), callTimeoutMs);
  } catch (thrown) {
    error = kit.errorLine(thrown);
  }
  const ended = kit.now();
  const wallMs = ended - started;
  const threadTimes = threadCpu.stop();
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
    threadTimes,
    ended,
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

/**
 * Where a run's work ran, against the same repetition's blocking run (its CPU time is the
 * job's cost on this machine right now): the main thread's CPU time; the other threads'
 * (the process's CPU time minus the main thread's, so a worker that ended during the call
 * counts in full); how many threads other than main each did at least a quarter of a fair
 * share of the job (1/(4N)); the busiest one's share of what they did; and `concurrency`,
 * the busy threads' spans of work added up over the span they cover together (1 for
 * threads that worked one after another, N for N that worked at the same time, even when
 * a busy host gave them less than a CPU each). Null where /proc could not be read, and
 * concurrency also when the main thread was too blocked to sample the call.
 */
function threadFields(run, blockingCpuMs) {
  const times = run.threadTimes;
  const none = {
    main_thread_cpu_ms: null,
    worker_threads_cpu_ms: null,
    busy_threads: null,
    busiest_thread_share: null,
    concurrency: null,
    thread_samples: 0,
  };
  if (times === null) return none;
  const asked = max(1, run.fields.workers);
  const threshold = ((blockingCpuMs > 0 ? blockingCpuMs : 0) * BUSY_SHARE_OF_FAIR) / asked;
  const busy = times.threads.filter((thread) => thread.cpu_ms >= threshold && thread.cpu_ms > 0);
  const sampled = times.threads.reduce((total, thread) => total + thread.cpu_ms, 0);
  const busiest = times.threads.reduce((top, thread) => max(top, thread.cpu_ms), 0);
  let concurrency = null;
  const working = busy.filter((thread) => thread.from_ms !== null);
  if (working.length > 0 && times.samples >= 5) {
    const from = min(...working.map((thread) => thread.from_ms));
    const to = max(...working.map((thread) => thread.to_ms));
    const spans = working.reduce((total, thread) => total + (thread.to_ms - thread.from_ms), 0);
    concurrency = to > from ? round((spans / (to - from)) * 100) / 100 : null;
  }
  return {
    main_thread_cpu_ms: round(times.main_ms * 10) / 10,
    worker_threads_cpu_ms: round(max(0, run.fields.cpu_ms - times.main_ms) * 10) / 10,
    busy_threads: busy.length,
    busiest_thread_share: sampled > 0 ? round((busiest / sampled) * 1000) / 1000 : null,
    concurrency,
    thread_samples: times.samples,
  };
}

/** Whether `list` (the stopping rule's, or ours) holds `value`: a loop, no prototype method. */
function isIn(list, value) {
  for (let i = 0; i < list.length; i++) if (list[i] === value) return true;
  return false;
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
