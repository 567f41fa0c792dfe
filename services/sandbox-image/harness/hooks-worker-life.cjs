'use strict';
// Part of the preloaded hooks (hooks.cjs), in the main thread: follows the lives of the
// workers the student's code starts (constructed, online, exited, as the patched Worker's
// emit sees them, with no listener of our own) and measures the main thread's event-loop
// delay while at least one of them runs. Thread Lab quotes that delay ("while your worker
// ran, the main thread's longest stall was 2 ms"); the lab drivers read how many workers
// were online at once.
//
// monitorEventLoopDelay samples the time between two ticks of a timer of RESOLUTION_MS, so
// an idle loop reads RESOLUTION_MS: a stall is what exceeds it. Its timer is unref'd, so
// measuring never keeps the program alive. The value goes to the harness as a `loop_delay`
// measurement when the last worker exits, at process exit, and every SNAPSHOT_EVERY_MS
// while workers run (on an unref'd timer: a program the harness stops never exits).
//
// This file holds no token: it exports a factory that hooks.cjs calls with its sender.

const RESOLUTION_MS = 10;
const SNAPSHOT_EVERY_MS = 200;

/**
 * Follow worker lives. `sendValue(kind, value)` reports a measurement; `monitorDelay` is
 * perf_hooks.monitorEventLoopDelay, or null not to measure (a lab driver measures itself).
 */
function createWorkerLife({ sendValue, monitorDelay, now }) {
  const setIntervalOriginal = setInterval;
  const clearIntervalOriginal = clearInterval;
  const weakSetAdd = WeakSet.prototype.add;
  const weakSetHas = WeakSet.prototype.has;
  const reflectApply = Reflect.apply;
  const max = Math.max;
  const round = Math.round;
  const online = new WeakSet();
  const exited = new WeakSet();
  const has = (set, worker) => reflectApply(weakSetHas, set, [worker]);
  const add = (set, worker) => reflectApply(weakSetAdd, set, [worker]);
  let running = 0;
  let onlineNow = 0;
  let peakOnline = 0;
  let histogram = null;
  let windowStartedAt = 0;
  let windowMs = 0;
  let ticker = null;

  const stallMs = (nanoseconds) => round(max(0, nanoseconds / 1e6 - RESOLUTION_MS) * 10) / 10;

  function snapshot() {
    const open = running > 0 ? now() - windowStartedAt : 0;
    sendValue('loop_delay', {
      p50_ms: stallMs(histogram.percentile(50)),
      p99_ms: stallMs(histogram.percentile(99)),
      max_ms: stallMs(histogram.max),
      samples: histogram.count,
      window_ms: round(windowMs + open),
      resolution_ms: RESOLUTION_MS,
    });
  }

  function startWindow() {
    if (monitorDelay === null) return;
    if (histogram === null) histogram = monitorDelay({ resolution: RESOLUTION_MS });
    histogram.enable();
    windowStartedAt = now();
    ticker = setIntervalOriginal(snapshot, SNAPSHOT_EVERY_MS);
    ticker.unref();
  }

  function endWindow() {
    if (histogram === null) return;
    windowMs += now() - windowStartedAt;
    histogram.disable();
    clearIntervalOriginal(ticker);
    snapshot();
  }

  return {
    /** A Worker was constructed (it runs until its 'exit'). */
    constructed() {
      running++;
      if (running === 1) startWindow();
    },
    /** The Worker `worker` emitted `event`. */
    emitted(worker, event) {
      if (event === 'online' && !has(online, worker)) {
        add(online, worker);
        onlineNow++;
        peakOnline = max(peakOnline, onlineNow);
      } else if (event === 'exit' && !has(exited, worker)) {
        add(exited, worker);
        if (has(online, worker)) onlineNow--;
        running = max(0, running - 1);
        if (running === 0) endWindow();
      }
    },
    /** Workers online now and the most online at once since the last resetPeak(). */
    counts() {
      return { online: onlineNow, peak_online: peakOnline, running };
    },
    resetPeak() {
      peakOnline = onlineNow;
    },
    /** At process exit: report the window still open, if any. */
    flush() {
      if (histogram !== null && running > 0) snapshot();
    },
  };
}

module.exports = { createWorkerLife, RESOLUTION_MS };
