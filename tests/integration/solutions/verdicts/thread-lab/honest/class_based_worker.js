// Style: class-based; the worker replies with parentPort.postMessage from a method of its own class.
const threads = require('worker_threads');

class Squarer {
  constructor(port) {
    this.port = port;
  }

  listen() {
    this.port.on('message', (n) => this.reply(n));
  }

  reply(n) {
    this.port.postMessage(n * n);
    this.port.close();
  }
}

class Boss {
  start() {
    this.worker = new threads.Worker(__filename);
    this.worker.on('message', (square) => console.log(`main received: ${square}`));
    this.worker.postMessage(12);
  }
}

if (threads.isMainThread) {
  new Boss().start();
} else {
  new Squarer(threads.parentPort).listen();
}
