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
