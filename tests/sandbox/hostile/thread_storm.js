// Attacks: the pids limit, which counts threads: asks for thousands of worker threads (each
// a real OS thread with its own V8 isolate) and swallows every failure so it keeps trying.
// Each worker costs megabytes of memory before its thread even starts, so on Node 18 the
// container's memory limit stops the storm before the pids limit (64 threads) is reached;
// either way a limit, not the host, pays for it (the fork bomb covers the pids limit).
// Expected: `memory_exceeded`.
const { Worker } = require('worker_threads');

let started = 0;
let failed = 0;
for (let i = 0; i < 5000; i++) {
  try {
    const worker = new Worker('setInterval(() => {}, 1000);', { eval: true });
    worker.on('error', () => { failed++; });
    started++;
  } catch {
    failed++;
  }
}
console.log(`asked for ${started} workers, ${failed} refused at once`);
setInterval(() => console.log(`still here, ${failed} failed`), 1000);
