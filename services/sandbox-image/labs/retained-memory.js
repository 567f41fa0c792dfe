'use strict';
// Retained memory: what a process's JavaScript still holds, not what it has allocated.
//
// Peak RSS (and V8's heapUsed) count garbage that has not been collected yet: a reader that
// drops every chunk looks, between two collections, like one that keeps them all. So each
// sample here forces a full collection first and then adds V8's heap in use to the memory
// of the live ArrayBuffers (every Buffer's bytes): what is reachable at that moment. Not
// `external`, which V8 lowers lazily. Even `arrayBuffers` drops only once V8's sweeper has
// freed the dead ArrayBuffers, which it does on a background thread after the collection
// returns (later still when the CPU quota is tight): a Buffer-only reader would look as if
// it kept the chunks it dropped. So our own collections sweep ArrayBuffers on the spot
// (the flag is set for their duration only; the student's collections keep V8's default).
//
// The collector is V8's `gc`, which Node only exposes with --expose-gc. Setting the flag at
// run time gives it to contexts created afterwards, not to the main one: a throwaway vm
// context hands us its `gc`, and the flag is turned off again, so the student's global never
// has one and contexts the student creates get none. Load this module before the student's
// file: everything it uses is captured at load.

const v8 = require('v8');
const vm = require('vm');

const setFlags = v8.setFlagsFromString;
const memoryUsage = process.memoryUsage.bind(process);
const setIntervalOriginal = setInterval;
const clearIntervalOriginal = clearInterval;
const { max } = Math;
const collectGarbage = captureCollector();

function captureCollector() {
  setFlags('--expose-gc');
  try {
    return vm.runInNewContext('gc');
  } finally {
    setFlags('--no-expose-gc');
  }
}

/**
 * {total, heap, array_buffers}: bytes reachable now, after `collections` full collections. One
 * is enough to measure what a running reader holds; a baseline needs two: objects that
 * Node's handles (a finished child's pipes) keep through a weak callback are only freed
 * by the collection after the one that runs the callback.
 */
function retainedBytes(collections = 1) {
  setFlags('--no-concurrent-array-buffer-sweeping');
  try {
    for (let i = 0; i < collections; i++) collectGarbage();
  } finally {
    setFlags('--concurrent-array-buffer-sweeping');
  }
  const usage = memoryUsage();
  return {
    total: usage.heapUsed + usage.arrayBuffers,
    heap: usage.heapUsed,
    array_buffers: usage.arrayBuffers,
  };
}

/**
 * Follow the retained memory of one call: a sample every `intervalMs` on a timer (a call
 * that blocks the thread is not sampled meanwhile), plus any sample() the caller takes at
 * a moment that matters (e.g. when the output ends; it returns the bytes it found). stop() takes a last sample and returns
 * {peak_bytes, peak_heap_bytes, peak_array_buffer_bytes, samples}: the largest sample.
 */
function followRetainedMemory(intervalMs) {
  let peak = null;
  let samples = 0;
  const sample = () => {
    const now = retainedBytes();
    samples++;
    if (peak === null || now.total > peak.total) peak = now;
    return now.total;
  };
  // 0: no timer, only the samples the caller takes and the last one.
  const timer = intervalMs > 0 ? setIntervalOriginal(sample, max(1, intervalMs)) : null;
  return {
    sample,
    stop() {
      if (timer !== null) clearIntervalOriginal(timer);
      sample();
      return {
        peak_bytes: peak.total,
        peak_heap_bytes: peak.heap,
        peak_array_buffer_bytes: peak.array_buffers,
        samples,
      };
    },
  };
}

module.exports = { followRetainedMemory, retainedBytes };
