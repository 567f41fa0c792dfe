// Style: chunks turned into strings one at a time, with the partial last line carried over.
const { spawn } = require('child_process');

exports.countErrors = function countErrors(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args);
    let partial = '';
    let count = 0;
    child.stdout.on('data', (chunk) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop();
      for (const line of lines) if (line.includes('ERROR')) count++;
    });
    child.stdout.on('end', () => {
      if (partial.includes('ERROR')) count++;
    });
    child.on('error', reject);
    child.on('close', () => resolve(count));
  });
};
