// Attacks: the wall-clock limit without using CPU. Atomics.wait blocks the main thread on a
// value nobody will ever change, and an interval keeps the event loop alive as a backup, so
// the program neither ends nor shows up in a CPU-time limit.
// Expected: `timeout` at the wall limit.
setInterval(() => {}, 1 << 30);
console.log('going to sleep');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
