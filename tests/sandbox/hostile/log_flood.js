// Attacks: the grader's copy of the container's stdout, which it reads from the Engine's
// json-file log. The harness's output limit only sees the program's own pipes, so this
// writes straight to the harness's stdout through /proc/<pid>/fd/1: one line of 121 x 16 KiB,
// which the Engine stores as 16 KiB chunks, sized so that the log reaches its rotation size
// (the grader's "2m", 2,000,000 bytes) inside the harness's report; the program also prints
// 40 KiB of its own, so the report's output (head and tail) makes it span two chunks. With
// a log of one file the Engine reads back only what follows the rotation: the report's head
// is lost, and a harness that exited 0 with no readable report is `infra_error`, a free
// retry at the student's will.
// Expected: `failed` (no worker), with the real report read whole.
const fs = require('fs');

for (let i = 0; i < 40; i++) console.log(`${i} `.padEnd(1023, '.'));
const side = fs.openSync(`/proc/${process.ppid}/fd/1`, 'w');
const chunk = Buffer.alloc(16 * 1024, 0x61);
for (let i = 0; i < 121; i++) fs.writeSync(side, chunk);
fs.closeSync(side);
