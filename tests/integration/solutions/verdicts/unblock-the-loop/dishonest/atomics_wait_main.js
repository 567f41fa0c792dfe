// Style: a worker does the whole job, but the main thread blocks in Atomics.wait until it is done (the loop cannot turn meanwhile).
// Expect: failed on keeps_loop_responsive (the worker did the work; the main thread waited synchronously).
const { Worker, isMainThread, workerData } = require('node:worker_threads');
const { crunch } = require('./task.js');

async function solve({ seed, items }, { workers }) {
  const shared = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(__filename, { workerData: { shared, seed, items, workers } });
  Atomics.wait(shared, 0, 0); // blocks the main thread
  worker.unref();
  return shared[1] >>> 0;
}

if (!isMainThread) {
  const { shared, seed, items } = workerData;
  shared[1] = crunch(seed, 0, items) | 0;
  Atomics.store(shared, 0, 1);
  Atomics.notify(shared, 0);
}

module.exports = { solve };
