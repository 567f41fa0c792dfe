// Style: the worker is a `data:` URL (an ES module in the URL itself), which Node 18 supports.
const { Worker, isMainThread } = require('worker_threads');

const source = `
  import { parentPort } from 'node:worker_threads';
  parentPort.postMessage('hello from a data: URL worker');
`;

if (isMainThread) {
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`));
  worker.on('message', (message) => console.log(`main received: ${message}`));
}
