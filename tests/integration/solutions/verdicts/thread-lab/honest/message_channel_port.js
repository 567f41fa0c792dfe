// Style: a MessageChannel whose port is transferred to the worker; the reply comes back over the port.
const { Worker, MessageChannel, isMainThread, parentPort } = require('node:worker_threads');

if (isMainThread) {
  const worker = new Worker(__filename);
  const { port1, port2 } = new MessageChannel();
  port1.once('message', (message) => {
    console.log(`main received: ${message}`);
    port1.close();
    worker.terminate();
  });
  worker.postMessage({ port: port2 }, [port2]);
} else {
  parentPort.once('message', ({ port }) => {
    port.postMessage('pong over a private channel');
    port.close();
  });
}
