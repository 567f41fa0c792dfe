// Attacks: the no-native-code boundary. There is no compiler in the image, but a program can
// copy any executable it can read (here /bin/sh) to the one writable place, /tmp, and run it
// from there; a hand-written ELF would run the same way and make raw system calls. /tmp is
// mounted noexec, so nothing written by the student can be executed.
// Expected: `failed` (no worker); the copied binary refused with EACCES.
const { spawnSync } = require('child_process');
const fs = require('fs');

fs.copyFileSync('/bin/sh', '/tmp/own-shell');
fs.chmodSync('/tmp/own-shell', 0o755);
const run = spawnSync('/tmp/own-shell', ['-c', 'echo NATIVE CODE RAN'], { encoding: 'utf8' });
// Node 18 gives a refused spawn null output, Node 22 none at all.
console.log(JSON.stringify({ error: run.error ? run.error.code : null, stdout: run.stdout ?? null }));
