// A correct Thread Lab solution in CommonJS: the worker greets the main thread.
const { Worker, isMainThread, parentPort } = require('worker_threads');

if (isMainThread) {
  const worker = new Worker(__filename);
  worker.on('message', (message) => console.log(`main received: ${message}`));
} else {
  parentPort.postMessage('hello from the worker');
}
