// A correct Thread Lab solution that first waits 2 s: long enough to kill its grader mid-job.
const { Worker, isMainThread, parentPort } = require('worker_threads');

if (isMainThread) {
  setTimeout(() => {
    const worker = new Worker(__filename);
    worker.on('message', (message) => console.log(`main received: ${message}`));
  }, 2000);
} else {
  parentPort.postMessage('hello from the worker');
}
