// Style: a worker is started and crunches a token 5% of the items while the main thread crunches the rest (in slices, so the loop still turns).
// Expect: failed on uses_worker (most of the CPU time was the main thread's).
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { crunch, combine } = require('./task.js');

async function solve({ seed, items }) {
  const token = Math.max(1, Math.floor(items / 20));
  const helper = new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: { seed, count: token } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  let sum = 0;
  for (let start = token; start < items; start += 500) {
    sum = combine(sum, crunch(seed, start, Math.min(500, items - start)));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return combine(sum, await helper);
}

if (!isMainThread) {
  parentPort.postMessage(crunch(workerData.seed, 0, workerData.count));
}

module.exports = { solve };
