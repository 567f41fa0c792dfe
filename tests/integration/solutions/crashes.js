const { Worker, isMainThread, parentPort } = require('worker_threads');
if (isMainThread) {
  new Worker(__filename).on('message', () => {});
  undefinedFunction();
} else {
  parentPort.postMessage('hi');
}
