// Style: an ES module that starts itself as the worker with `new URL(import.meta.url)`.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

if (isMainThread) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { greeting: 'hi' } });
  worker.once('message', (message) => {
    console.log(`main received: ${message}`);
    worker.terminate();
  });
} else {
  parentPort.postMessage(`${workerData.greeting} from the module worker`);
}
