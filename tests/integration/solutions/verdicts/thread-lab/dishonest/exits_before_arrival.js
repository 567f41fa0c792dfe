// Style: the worker posts its message, then the process exits before the message arrives.
const { Worker, isMainThread, parentPort } = require('worker_threads');

if (isMainThread) {
  const worker = new Worker(__filename);
  worker.on('message', (message) => console.log(`main received: ${message}`));
  worker.on('online', () => process.exit(0));
} else {
  parentPort.postMessage('too late');
}
