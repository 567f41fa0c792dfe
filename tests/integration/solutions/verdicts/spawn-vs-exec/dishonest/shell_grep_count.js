// Style: spawn a shell that pipes the command through `grep -c ERROR`, and read grep's count.
const { spawn } = require('node:child_process');

function countErrors(command, args) {
  return new Promise((resolve, reject) => {
    const line = [command, ...args].map((word) => `'${word}'`).join(' ');
    const child = spawn('sh', ['-c', `${line} | grep -c ERROR`]);
    let count = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text) => {
      count += text;
    });
    child.on('error', reject);
    child.on('close', () => resolve(Number(count.trim())));
  });
}

module.exports = { countErrors };
