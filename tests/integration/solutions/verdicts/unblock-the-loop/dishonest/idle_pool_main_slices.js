// Style: decoy: starts `workers` pool workers that never get any work, and runs crunch on the main thread in small slices separated by `await setImmediate()`.
// Expect: failed on uses_worker (the main thread did the job's CPU work).
const { Worker, isMainThread } = require('node:worker_threads');
const { setImmediate: nextTurn } = require('node:timers/promises');
const { crunch, combine } = require('./task.js');

const idle = [];

async function solve({ seed, items }, { workers }) {
  while (idle.length < workers) {
    const worker = new Worker(__filename);
    worker.unref();
    idle.push(worker);
  }
  let sum = 0;
  const slice = 200;
  for (let start = 0; start < items; start += slice) {
    sum = combine(sum, crunch(seed, start, Math.min(slice, items - start)));
    await nextTurn();
  }
  return sum;
}

if (!isMainThread) {
  setInterval(() => {}, 1 << 30); // stay online, do nothing
}

module.exports = { solve };
