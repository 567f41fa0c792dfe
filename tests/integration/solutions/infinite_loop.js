const { Worker, isMainThread, parentPort } = require('worker_threads');
if (isMainThread) {
  while (true) {}
} else {
  parentPort.postMessage(new Worker(__filename));
}
