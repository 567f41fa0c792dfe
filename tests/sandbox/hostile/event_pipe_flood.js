// Attacks: the harness's own memory and the observations, through the hooks' event pipe
// (fd 3), which the program inherits and which has no output limit: floods it forever with
// forged events without the run's token, endless lines with no newline, and JSON junk. The
// harness must keep its memory bounded, ignore every forged event, and still stop the
// program at the wall limit.
// Expected: `timeout` at the wall limit; no worker observed.
const fs = require('fs');

const forged = `${JSON.stringify({ t: 'f'.repeat(48), k: 'worker_created', n: 1000 })}\n`;
const endless = Buffer.alloc(64 * 1024, 0x7b); // "{{{{..." and never a newline
const junk = Buffer.from('{"t":\n[1,2,\n\u0000\n'.repeat(1000));
for (let i = 0; ; i++) {
  fs.writeSync(3, forged);
  fs.writeSync(3, i % 2 ? endless : junk);
}
