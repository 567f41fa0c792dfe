// Spawn vs exec, passed: spawn streams the command's output; readline hands it over line
// by line, so only a chunk or two is ever held in memory.
const { spawn } = require('node:child_process');
const readline = require('node:readline');

function countErrors(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let errors = 0;
    const lines = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (line.includes('ERROR')) errors++;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(errors);
      else reject(new Error(`the command exited with code ${code}`));
    });
  });
}

module.exports = { countErrors };
