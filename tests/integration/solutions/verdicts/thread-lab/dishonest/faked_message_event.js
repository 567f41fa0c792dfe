// Style: a worker is constructed but never answers: the reply is faked with worker.emit('message', ...).
const { Worker, isMainThread } = require('worker_threads');

if (isMainThread) {
  const worker = new Worker(__filename);
  worker.on('message', (message) => console.log(`main received: ${message}`));
  worker.postMessage('ping'); // nobody in the worker listens
  worker.emit('message', 'pong (faked on the main thread)');
}
