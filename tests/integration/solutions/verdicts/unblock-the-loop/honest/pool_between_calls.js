// Style: a pool of workers kept between calls; each call hands every pooled worker its slice by message and collects the replies by id.
const { Worker, isMainThread, parentPort } = require('node:worker_threads');
const { crunch, combine } = require('./task.js');

const pool = [];
let nextId = 0;

function pooledWorker(index) {
  while (pool.length <= index) {
    const worker = new Worker(__filename);
    worker.unref();
    worker.pending = new Map();
    worker.on('message', ({ id, sum }) => {
      worker.pending.get(id)(sum);
      worker.pending.delete(id);
    });
    pool.push(worker);
  }
  return pool[index];
}

function ask(worker, seed, start, count) {
  const id = nextId++;
  return new Promise((resolve) => {
    worker.pending.set(id, resolve);
    worker.postMessage({ id, seed, start, count });
  });
}

async function solve({ seed, items }, { workers }) {
  const used = Math.max(1, Math.min(workers, items));
  const answers = [];
  let start = 0;
  for (let i = 0; i < used; i++) {
    const count = Math.floor(items / used) + (i < items % used ? 1 : 0);
    answers.push(ask(pooledWorker(i), seed, start, count));
    start += count;
  }
  let total = 0;
  for (const sum of await Promise.all(answers)) total = combine(total, sum);
  return total;
}

if (!isMainThread) {
  parentPort.on('message', ({ id, seed, start, count }) => {
    parentPort.postMessage({ id, sum: crunch(seed, start, count) });
  });
}

module.exports = { solve };
