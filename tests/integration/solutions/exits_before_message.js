const { Worker, isMainThread, parentPort } = require('worker_threads');

if (isMainThread) {
  const worker = new Worker(__filename);
  worker.postMessage('are you there?');
  process.exit(0);
} else {
  parentPort.on('message', (m) => console.log(m));
}
