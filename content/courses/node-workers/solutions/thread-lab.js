// Reference solution of the Thread Lab: one file, two roles, one message each way.
const { Worker, isMainThread, parentPort } = require('node:worker_threads');

if (isMainThread) {
  const worker = new Worker(__filename);
  worker.once('message', (reply) => {
    console.log(`main received: ${reply}`);
  });
} else {
  parentPort.postMessage('hello from the worker thread');
}
