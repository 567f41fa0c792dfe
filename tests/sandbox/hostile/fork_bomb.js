// Attacks: the pids limit, with a classic shell fork bomb (each shell starts two more in the
// background and returns, so the bomb's processes are orphans that no parent waits for).
// Without a pids limit this takes the host down; with it, fork fails with EAGAIN and the bomb
// spins. The main program stays alive, so the harness must kill every process of the bomb at
// the wall timeout, with no pid left to spare, and still report. It prints how often the
// kernel refused a fork (the pids cgroup's "max" event count, v1 or v2).
// Expected: `process_limit_exceeded` quoting the limit (the host cgroup counted the refused
// forks), forks refused, nothing left running afterwards.
const { spawn } = require('child_process');
const fs = require('fs');

function refusedForks() {
  for (const file of ['/sys/fs/cgroup/pids/pids.events', '/sys/fs/cgroup/pids.events']) {
    try {
      return Number(/^max (\d+)$/m.exec(fs.readFileSync(file, 'utf8'))[1]);
    } catch {
      // the other cgroup version
    }
  }
  return null;
}

spawn('/bin/sh', ['-c', 'bomb() { bomb | bomb & }; bomb'], { stdio: 'ignore' });
console.log('fork bomb lit');
setTimeout(() => console.log(`forks refused by the pids limit: ${refusedForks()}`), 1500);
setInterval(() => {}, 1000);
