// A correct Thread Lab solution as an ES module: main sends, the worker answers and closes.
import { Worker, isMainThread, parentPort } from 'node:worker_threads';

if (isMainThread) {
  const worker = new Worker(new URL(import.meta.url));
  worker.on('message', (message) => {
    console.log(`main received: ${message}`);
    worker.terminate();
  });
  worker.postMessage('ping');
} else {
  parentPort.on('message', (message) => parentPort.postMessage(`${message} -> pong`));
}
