// Style: the whole job in a single worker whatever `workers` says (passes with partial marks: nothing runs in parallel).
// Expect: passed, splits_over_workers and speeds_up not held.
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { crunch } = require('./task.js');

module.exports.solve = function solve(job) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: job });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
};

if (!isMainThread) {
  parentPort.postMessage(crunch(workerData.seed, 0, workerData.items));
}
