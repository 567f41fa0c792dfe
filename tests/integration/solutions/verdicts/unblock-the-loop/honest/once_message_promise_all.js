// Style: Array.from builds one worker per share, events.once(worker, 'message') per worker, Promise.all then a fold; shares handed over with postMessage after start.
const { Worker, isMainThread, parentPort } = require('node:worker_threads');
const { once } = require('node:events');
const { crunch, combine } = require('./task.js');

if (!isMainThread) {
  parentPort.once('message', ({ seed, from, to }) => {
    parentPort.postMessage(crunch(seed, from, to - from));
  });
}

exports.solve = async ({ seed, items }, { workers }) => {
  const bounds = Array.from({ length: workers + 1 }, (_, i) => Math.floor((items * i) / workers));
  const replies = Array.from({ length: workers }, async (_, i) => {
    const worker = new Worker(__filename);
    worker.postMessage({ seed, from: bounds[i], to: bounds[i + 1] });
    const [sum] = await once(worker, 'message');
    await worker.terminate();
    return sum;
  });
  return (await Promise.all(replies)).reduce((a, b) => combine(a, b), 0);
};
