// Style: postMessage appears only in a comment and in a string that never runs.
const { Worker, isMainThread } = require('worker_threads');

// worker.postMessage('hello');  <- the grader must not count this
const neverRun = "parentPort.postMessage('hello from nowhere')";

if (isMainThread) {
  const worker = new Worker('const unused = 1;', { eval: true });
  worker.on('message', (message) => console.log(`main received: ${message}`));
  console.log(`I could have sent: ${neverRun.length} characters`);
}
