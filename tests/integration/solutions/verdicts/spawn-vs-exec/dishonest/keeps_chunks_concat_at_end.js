// Style: spawn, keep every Buffer chunk in an array, Buffer.concat them at 'close' and split.
const { spawn } = require('node:child_process');

function countErrors(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args);
    const chunks = [];
    child.stdout.on('data', (chunk) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', () => {
      const text = Buffer.concat(chunks).toString();
      resolve(text.split('\n').filter((line) => line.includes('ERROR')).length);
    });
  });
}

module.exports = { countErrors };
