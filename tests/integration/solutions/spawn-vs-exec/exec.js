// Spawn vs exec, failed: exec buffers the whole output before the callback runs, and gives
// up once it passes maxBuffer (1 MiB by default), so the answer never comes.
const { exec } = require('node:child_process');

function countErrors(command, args) {
  return new Promise((resolve, reject) => {
    exec([command, ...args].join(' '), (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout.split('\n').filter((line) => line.includes('ERROR')).length);
    });
  });
}

module.exports = { countErrors };
