// Style: results written into a SharedArrayBuffer; each worker stores its checksum and calls Atomics.notify, the main thread awaits Atomics.waitAsync (never Atomics.wait).
const { Worker, isMainThread, workerData } = require('node:worker_threads');
const { crunch, combine } = require('./task.js');

async function solve({ seed, items }, { workers }) {
  const count = Math.max(1, Math.min(workers, items));
  // Per worker: [done flag, checksum].
  const shared = new Int32Array(new SharedArrayBuffer(8 * count));
  const size = Math.ceil(items / count);
  const started = [];
  for (let i = 0; i < count; i++) {
    const start = i * size;
    const length = Math.max(0, Math.min(size, items - start));
    started.push(new Worker(__filename, { workerData: { shared, slot: i, seed, start, length } }));
  }
  let total = 0;
  for (let i = 0; i < count; i++) {
    const waiting = Atomics.waitAsync(shared, 2 * i, 0);
    if (waiting.async) await waiting.value;
    total = combine(total, shared[2 * i + 1] >>> 0);
  }
  return total;
}

if (!isMainThread) {
  const { shared, slot, seed, start, length } = workerData;
  shared[2 * slot + 1] = crunch(seed, start, length) | 0;
  Atomics.store(shared, 2 * slot, 1);
  Atomics.notify(shared, 2 * slot);
}

module.exports = { solve };
