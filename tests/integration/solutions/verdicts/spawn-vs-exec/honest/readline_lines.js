// Style: readline over child.stdout, one 'line' event per line, counted as it arrives.
const { spawn } = require('node:child_process');
const readline = require('node:readline');

function countErrors(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args);
    const lines = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
    let errors = 0;
    lines.on('line', (line) => {
      if (line.includes('ERROR')) errors += 1;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(errors) : reject(new Error(`exit ${code}`))));
  });
}

module.exports = { countErrors };
