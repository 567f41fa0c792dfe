'use strict';
// What every lab driver needs, loaded before the student's code is.
//
// A lab driver (labs/<kind>/driver.js) is the main script of the student's process: the
// harness runs `node --require hooks.cjs /opt/labs/<kind>/driver.js <student file> <config>`
// and the driver loads the student's file, calls the function it exports and measures each
// call. Student code then runs in the same process and may replace any global it likes, so
// everything a measurement relies on is captured here, at load, before the student's file is
// imported: clocks, CPU usage, the event-loop delay histogram's methods, timers, randomness.
// Measurements go to the harness over the hooks' token-checked channel, which the driver
// takes off globalThis on its first line (hooks.cjs puts it there for drivers only).
//
// In reference mode (`--reference`: the harness runs a driver without hooks and without
// student code, e.g. spawn-vs-exec's exec baseline) measurements go to stdout instead, one
// `LAB-REFERENCE {json}` line each, which only the harness reads.

const crypto = require('crypto');
const perfHooks = require('perf_hooks');
const { pathToFileURL } = require('url');

const CHANNEL_KEY = Symbol.for('org.course-platform.lab-driver-channel');
const REFERENCE_FLAG = '--reference';
const REFERENCE_PREFIX = 'LAB-REFERENCE ';

const reflectApply = Reflect.apply;
const { max, round } = Math;
const getPrototypeOf = Object.getPrototypeOf;
const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const stringify = JSON.stringify;
const setTimeoutOriginal = setTimeout;
const clearTimeoutOriginal = clearTimeout;
const PromiseOriginal = Promise;
const performanceNow = perfHooks.performance.now.bind(perfHooks.performance);
const eventLoopUtilization = perfHooks.performance.eventLoopUtilization.bind(
  perfHooks.performance,
);
const monitorEventLoopDelay = perfHooks.monitorEventLoopDelay;
const cpuUsage = process.cpuUsage.bind(process);
const memoryUsage = process.memoryUsage.bind(process);
const resourceUsage = process.resourceUsage.bind(process);
const exitProcess = process.exit.bind(process);
const writeStdout = process.stdout.write.bind(process.stdout);
const writeStderr = process.stderr.write.bind(process.stderr);
const randomInt = crypto.randomInt;
const histogramMethods = captureHistogramMethods();

/** Whether this driver runs as the harness's trusted reference (no hooks, no student code). */
function isReferenceRun(argv = process.argv) {
  return argv.includes(REFERENCE_FLAG);
}

/**
 * The channel to the harness: {send(kind, value), workerCounts(), resetPeakWorkers()}.
 * Returns null when the hooks did not offer one (they failed: the harness says so).
 */
function takeChannel() {
  if (isReferenceRun()) {
    return {
      send: (kind, value) => writeStdout(`${REFERENCE_PREFIX}${stringify({ k: kind, v: value })}\n`),
      workerCounts: () => ({ online: 0, peak_online: 0, running: 0 }),
      resetPeakWorkers: () => {},
    };
  }
  const channel = globalThis[CHANNEL_KEY];
  delete globalThis[CHANNEL_KEY];
  return channel === undefined ? null : channel;
}

/**
 * Import the student's file (CommonJS or ES module) and return its export `name`, looked
 * up as a named export, then on the default export (module.exports). Resolves to
 * {value, error}: error is the load failure (the student's top level threw), value is
 * undefined when the file loads but does not export `name`.
 */
async function loadExport(file, name) {
  let namespace;
  try {
    namespace = await import(pathToFileURL(file).href);
  } catch (error) {
    return { value: undefined, error };
  }
  const named = namespace[name];
  if (named !== undefined) return { value: named, error: null };
  const fallback = namespace.default;
  const value = fallback !== null && typeof fallback === 'object' ? fallback[name] : undefined;
  return { value, error: null };
}

/** Resolve after `ms`, on the captured timer. */
function sleep(ms) {
  return new PromiseOriginal((resolve) => setTimeoutOriginal(resolve, ms));
}

/**
 * Settle like `promise`, or reject with a TimeoutError after `ms`. The timer is cleared
 * either way, so it never keeps the process alive.
 */
function withTimeout(promise, ms) {
  let timer;
  const deadline = new PromiseOriginal((_resolve, reject) => {
    timer = setTimeoutOriginal(() => {
      const error = new Error(`did not finish within ${(ms / 1000).toFixed(1)} s`);
      error.name = 'TimeoutError';
      reject(error);
    }, ms);
  });
  return PromiseOriginal.race([PromiseOriginal.resolve(promise), deadline]).finally(() =>
    clearTimeoutOriginal(timer),
  );
}

/** An enabled event-loop delay histogram, read through the captured methods. */
function startLoopDelay(resolutionMs) {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  reflectApply(histogramMethods.enable, histogram, []);
  const stallMs = (nanoseconds) => round(max(0, nanoseconds / 1e6 - resolutionMs) * 10) / 10;
  return {
    /** Stop sampling and return {p50_ms, p99_ms, max_ms, samples} as stalls. */
    stop() {
      reflectApply(histogramMethods.disable, histogram, []);
      return {
        p50_ms: stallMs(reflectApply(histogramMethods.percentile, histogram, [50])),
        p99_ms: stallMs(reflectApply(histogramMethods.percentile, histogram, [99])),
        max_ms: stallMs(reflectApply(histogramMethods.max, histogram, [])),
        samples: reflectApply(histogramMethods.count, histogram, []),
      };
    },
  };
}

function captureHistogramMethods() {
  const probe = monitorEventLoopDelay({ resolution: 10 });
  const find = (name) => {
    for (let object = probe; object !== null; object = getPrototypeOf(object)) {
      const descriptor = getOwnPropertyDescriptor(object, name);
      if (descriptor !== undefined) return descriptor.get ?? descriptor.value;
    }
    throw new Error(`this Node has no histogram ${name}`);
  };
  return {
    enable: find('enable'),
    disable: find('disable'),
    percentile: find('percentile'),
    max: find('max'),
    count: find('count'),
  };
}

/** The first line of an error, for a measurement's `error` field (at most 300 characters). */
function errorLine(error) {
  let text;
  try {
    text = error instanceof Error ? `${error.name}: ${error.message}` : `thrown: ${String(error)}`;
  } catch {
    text = 'an error that cannot be printed';
  }
  return text.split('\n')[0].slice(0, 300);
}

/** Print an error as Node prints an uncaught one (the harness quotes its first line). */
function printError(error) {
  let text;
  try {
    text = error instanceof Error && error.stack ? error.stack : String(error);
  } catch {
    text = 'Error: an error that cannot be printed';
  }
  writeStderr(`${text}\n`);
}

module.exports = {
  cpuUsage,
  errorLine,
  eventLoopUtilization,
  exitProcess,
  isReferenceRun,
  loadExport,
  memoryUsage,
  now: performanceNow,
  printError,
  randomInt,
  resourceUsage,
  sleep,
  startLoopDelay,
  takeChannel,
  withTimeout,
  REFERENCE_PREFIX,
};

// ---------------------------------------------------------------------------------------
// Per-thread CPU time: which thread of the process did the work.
//
// Linux keeps, for each thread, the time it spent on a CPU in /proc/self/task/<tid>/schedstat
// (first field, in ns); the main thread's tid is the process id. gVisor (the runsc runtime)
// has no schedstat, but keeps each thread's user and system time in clock ticks in
// /proc/self/task/<tid>/stat: coarser (10 ms), still per thread. Whichever the kernel
// offers is chosen once, below; without either the figures are null, never zeros. A thread
// that ends takes its file with it, so a call's threads are sampled every few ms while it
// runs (from the main thread's timers: a main thread blocked by the call is not sampled,
// and only the reads before and after it count) and each thread keeps the last value seen.
// Every function used here is captured now, before the student's file loads.

const fsForThreads = require('fs');

const readdirSync = fsForThreads.readdirSync;
const openSync = fsForThreads.openSync;
const readSync = fsForThreads.readSync;
const closeSync = fsForThreads.closeSync;
const bufferToString = Buffer.prototype.toString;
const stringIndexOf = String.prototype.indexOf;
const stringLastIndexOf = String.prototype.lastIndexOf;
const stringSlice = String.prototype.slice;
const stringSplit = String.prototype.split;
const NumberOriginal = Number;
const createObject = Object.create;
const objectKeys = Object.keys;
const TASK_DIR = '/proc/self/task';
const MAIN_TID = String(process.pid);
const threadFileBuffer = Buffer.alloc(1024);
// Even on a host with four runnable threads per CPU a working thread gets a quarter of it.
const WORKING_SHARE = 0.2;
// USER_HZ, the unit of the times in /proc/<pid>/stat, is 100 on every Linux ABI (and gVisor).
const NS_PER_TICK = 1e7;

/** {file, toNs(text)} of the per-thread CPU source this kernel has, or null. */
function threadCpuSource() {
  const sources = [
    { name: 'schedstat', file: 'schedstat', toNs: schedstatNs, precision_ms: 0 },
    { name: 'stat', file: 'stat', toNs: statNs, precision_ms: NS_PER_TICK / 1e6 },
  ];
  for (let i = 0; i < sources.length; i++) {
    try {
      closeSync(openSync(`${TASK_DIR}/${MAIN_TID}/${sources[i].file}`, 'r'));
      return sources[i];
    } catch {
      // not offered here: try the next
    }
  }
  return null;
}

function schedstatNs(text) {
  return NumberOriginal(reflectApply(stringSlice, text, [0, reflectApply(stringIndexOf, text, [' '])]));
}

function statNs(text) {
  // "tid (name) state ppid ...": utime and stime are the 14th and 15th fields, the 12th and
  // 13th after the name, which may itself hold spaces and parentheses.
  const after = reflectApply(stringSlice, text, [reflectApply(stringLastIndexOf, text, [')']) + 2]);
  const fields = reflectApply(stringSplit, after, [' ']);
  return (NumberOriginal(fields[11]) + NumberOriginal(fields[12])) * NS_PER_TICK;
}

const THREAD_CPU = threadCpuSource();

/**
 * {tid: ns on CPU} of every thread of this process now, or null when the kernel shows no
 * thread's CPU time. `files` ({tid: fd}, optional) keeps each thread's file open between
 * calls: re-reading an open file from offset 0 costs a tenth of opening it again, which
 * keeps a sample's cost on the main thread far below what the checks compare.
 * closeThreadFiles(files) ends it.
 */
function readThreadCpuNs(files = null) {
  if (THREAD_CPU === null) return null;
  let names;
  try {
    names = readdirSync(TASK_DIR);
  } catch {
    return null;
  }
  const times = createObject(null);
  for (let i = 0; i < names.length; i++) {
    const tid = names[i];
    let fd = files === null ? undefined : files[tid];
    try {
      if (fd === undefined) fd = openSync(`${TASK_DIR}/${tid}/${THREAD_CPU.file}`, 'r');
      const length = readSync(fd, threadFileBuffer, 0, threadFileBuffer.length, 0);
      const text = reflectApply(bufferToString, threadFileBuffer, ['latin1', 0, length]);
      const value = THREAD_CPU.toNs(text);
      if (value >= 0) times[tid] = value;
      if (files === null) closeSync(fd);
      else files[tid] = fd;
    } catch {
      // The thread ended between the listing and the read.
      if (fd !== undefined) closeQuietly(fd);
      if (files !== null) delete files[tid];
    }
  }
  return times;
}

function closeThreadFiles(files) {
  const tids = objectKeys(files);
  for (let i = 0; i < tids.length; i++) closeQuietly(files[tids[i]]);
}

function closeQuietly(fd) {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/**
 * Start sampling every thread's CPU time every `intervalMs`. stop() takes a last sample and
 * returns {main_ms, threads: [{cpu_ms, from_ms, to_ms}], samples} or null without /proc:
 * main_ms is the main thread's CPU time since the start; threads are the other threads
 * that used CPU meanwhile, each with the span (ms since the start, to the sampling
 * interval) in which it was seen working (from_ms and to_ms null when never), and
 * samples counts the samples taken in between.
 */
function startThreadCpu(intervalMs) {
  const files = createObject(null);
  const startedAt = performanceNow();
  const baseline = readThreadCpuNs(files);
  if (baseline === null) return { stop: () => null };
  const seen = createObject(null);
  let previousAt = startedAt;
  let samples = 0;
  let timer = null;
  const sample = () => {
    const at = performanceNow();
    const times = readThreadCpuNs(files);
    if (times === null) return;
    const tids = objectKeys(times);
    for (let i = 0; i < tids.length; i++) {
      const tid = tids[i];
      let thread = seen[tid];
      if (thread === undefined) {
        // A thread born since the baseline started from zero.
        const base = baseline[tid] ?? 0;
        thread = { base, last: base, from: null, to: null };
        seen[tid] = thread;
      }
      // A span of work counts intervals in which the thread was on a CPU for at least
      // WORKING_SHARE of the time: a blip (a message handled, a GC tick) is not work.
      if ((times[tid] - thread.last) / 1e6 >= WORKING_SHARE * (at - previousAt)) {
        if (thread.from === null) thread.from = previousAt - startedAt;
        thread.to = at - startedAt;
      }
      if (times[tid] > thread.last) thread.last = times[tid];
    }
    previousAt = at;
  };
  const tick = () => {
    sample();
    samples += 1;
    timer = setTimeoutOriginal(tick, intervalMs);
  };
  timer = setTimeoutOriginal(tick, intervalMs);
  return {
    stop() {
      clearTimeoutOriginal(timer);
      sample();
      closeThreadFiles(files);
      const main = seen[MAIN_TID];
      const threads = [];
      const tids = objectKeys(seen);
      for (let i = 0; i < tids.length; i++) {
        const thread = seen[tids[i]];
        if (tids[i] === MAIN_TID || thread.last === thread.base) continue;
        threads[threads.length] = {
          cpu_ms: (thread.last - thread.base) / 1e6,
          from_ms: thread.from,
          to_ms: thread.to,
        };
      }
      return {
        main_ms: main === undefined ? 0 : (main.last - main.base) / 1e6,
        threads,
        samples,
      };
    },
  };
}

/**
 * The main thread's own CPU time in ms (from the per-thread source), or null without one.
 * Under gVisor it is a count of 10 ms ticks charged to the thread alone, where
 * process.cpuUsage() also charges the process the sandbox's work for its other threads.
 */
function mainThreadCpuMs() {
  if (THREAD_CPU === null) return null;
  const fd = openSync(`${TASK_DIR}/${MAIN_TID}/${THREAD_CPU.file}`, 'r');
  try {
    const length = readSync(fd, threadFileBuffer, 0, threadFileBuffer.length, 0);
    return THREAD_CPU.toNs(reflectApply(bufferToString, threadFileBuffer, ['latin1', 0, length])) / 1e6;
  } finally {
    closeSync(fd);
  }
}

module.exports.mainThreadCpuMs = mainThreadCpuMs;
module.exports.readThreadCpuNs = readThreadCpuNs;
module.exports.threadCpuSource = THREAD_CPU === null ? null : THREAD_CPU.name;
module.exports.threadCpuPrecisionMs = THREAD_CPU === null ? null : THREAD_CPU.precision_ms;
module.exports.startThreadCpu = startThreadCpu;
