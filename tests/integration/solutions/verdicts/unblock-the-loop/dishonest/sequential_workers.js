// Style: N workers, but each is awaited before the next one starts: the work is divided, never done at the same time.
// Expect: passed with partial marks, speeds_up not held (the workers ran one after another).
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { crunch, combine } = require('./task.js');

function crunchInWorker(seed, start, count) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: { seed, start, count } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

async function solve({ seed, items }, { workers }) {
  const share = Math.ceil(items / workers);
  let sum = 0;
  for (let start = 0; start < items; start += share) {
    sum = combine(sum, await crunchInWorker(seed, start, Math.min(share, items - start)));
  }
  return sum;
}

if (!isMainThread) {
  parentPort.postMessage(crunch(workerData.seed, workerData.start, workerData.count));
}

module.exports = { solve };
