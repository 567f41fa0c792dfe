// Style: exec with a maxBuffer big enough for the whole output, then split it.
const { exec } = require('node:child_process');

function countErrors(command, args) {
  return new Promise((resolve, reject) => {
    exec([command, ...args].join(' '), { maxBuffer: 512 * 1024 * 1024 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout.split('\n').filter((line) => line.includes('ERROR')).length);
    });
  });
}

module.exports = { countErrors };
