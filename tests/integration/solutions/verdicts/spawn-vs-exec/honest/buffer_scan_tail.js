// Style: Buffers only, no strings: scan each chunk for newlines and "ERROR" with indexOf,
// keeping nothing but the unfinished last line (as a Buffer) for the next chunk.
const { spawn } = require('node:child_process');

const NEWLINE = 0x0a;
const ERROR = Buffer.from('ERROR');

function countErrors(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = Buffer.alloc(0);
    let errors = 0;
    child.stdout.on('data', (chunk) => {
      const data = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
      let start = 0;
      let error = data.indexOf(ERROR);
      for (let end = data.indexOf(NEWLINE); end !== -1; end = data.indexOf(NEWLINE, start)) {
        if (error !== -1 && error < start) error = data.indexOf(ERROR, start);
        if (error !== -1 && error < end) errors += 1;
        start = end + 1;
      }
      tail = Buffer.from(data.subarray(start)); // a copy: the chunk itself is let go
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (tail.includes(ERROR)) errors += 1;
      if (code === 0) resolve(errors);
      else reject(new Error(`the command exited with ${code}`));
    });
  });
}

module.exports = { countErrors };
