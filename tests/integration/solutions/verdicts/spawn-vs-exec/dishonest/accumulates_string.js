// Style: spawn, append every chunk to one string, split it into lines at 'close'.
const { spawn } = require('node:child_process');

function countErrors(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args);
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.on('close', () => {
      let errors = 0;
      for (const line of output.split('\n')) if (line.includes('ERROR')) errors++;
      resolve(errors);
    });
  });
}

module.exports = { countErrors };
