// Style: the worker is built from a string with `eval: true`; postMessage is called only inside the string.
const { Worker, isMainThread } = require('worker_threads');

const workerCode = `
  const { parentPort } = require('worker_threads');
  parentPort.postMessage('hello from a worker built from a string');
`;

if (isMainThread) {
  const worker = new Worker(workerCode, { eval: true });
  worker.on('message', (message) => console.log(`main received: ${message}`));
}
