// Style: the job's shares run in child processes (child_process.fork of this file) instead of worker threads, answers over IPC.
// Expect: failed on uses_worker (no thread of the process did the work).
const { fork } = require('node:child_process');
const { crunch, combine } = require('./task.js');

function inChild(seed, start, count) {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['child'], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    child.once('message', (sum) => {
      resolve(sum);
      child.kill();
    });
    child.once('error', reject);
    child.send({ seed, start, count });
  });
}

async function solve({ seed, items }, { workers }) {
  const share = Math.ceil(items / workers);
  const parts = [];
  for (let start = 0; start < items; start += share) {
    parts.push(inChild(seed, start, Math.min(share, items - start)));
  }
  return (await Promise.all(parts)).reduce(combine, 0);
}

if (process.argv[2] === 'child') {
  process.once('message', ({ seed, start, count }) => process.send(crunch(seed, start, count)));
}

module.exports = { solve };
