// Style: workers built from a source string (`eval: true`), one per share, started together and awaited with Promise.all.
const { Worker } = require('node:worker_threads');
const path = require('node:path');
const { combine } = require('./task.js');

const TASK = path.join(__dirname, 'task.js');
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { crunch } = require(workerData.task);
parentPort.postMessage(crunch(workerData.seed, workerData.start, workerData.count));
`;

function part(seed, start, count) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(SOURCE, { eval: true, workerData: { task: TASK, seed, start, count } });
    worker.on('message', resolve);
    worker.on('error', reject);
  });
}

async function solve({ seed, items }, { workers }) {
  const size = Math.ceil(items / workers);
  const jobs = [];
  for (let start = 0; start < items; start += size) {
    jobs.push(part(seed, start, Math.min(size, items - start)));
  }
  const sums = await Promise.all(jobs);
  return sums.reduce(combine, 0);
}

module.exports = { solve };
