// Attacks: the read-only filesystem. Tries to write everywhere that is not /tmp: the root,
// the grader's job and the student's own pristine copy in /work, the harness, system files,
// and the usual world-writable places of a Linux image (/var/tmp, /dev/shm, /dev/mqueue).
// Only /tmp (a small tmpfs, gone with the container) may be writable.
// Expected: `failed` (no worker), every write outside /tmp refused.
const fs = require('fs');

const targets = [
  '/escape.txt',
  '/work/job.json',
  '/work/escape.txt',
  '/work/submission/main.js',
  '/opt/harness/run.js',
  '/opt/harness/escape.txt',
  '/etc/passwd',
  '/usr/bin/node',
  '/usr/local/bin/escape',
  '/var/tmp/escape.txt',
  '/run/escape.txt',
  '/dev/escape.txt',
  '/dev/shm/escape.txt',
  '/dev/mqueue/escape',
  '/sys/fs/cgroup/memory/memory.limit_in_bytes',
  '/proc/sys/kernel/hostname',
];

const results = {};
for (const target of targets) {
  try {
    fs.appendFileSync(target, 'escaped\n');
    results[target] = 'WRITTEN';
  } catch (error) {
    results[target] = `refused: ${error.code}`;
  }
}
try {
  fs.writeFileSync('/tmp/allowed.txt', 'fine\n');
  results['/tmp/allowed.txt'] = 'written, as allowed';
} catch (error) {
  results['/tmp/allowed.txt'] = `refused: ${error.code}`;
}
console.log(JSON.stringify(results));
