// Style: execFileSync, which blocks until the command ends and returns its whole output.
const { execFileSync } = require('node:child_process');

function countErrors(command, args) {
  const output = execFileSync(command, args, { maxBuffer: 512 * 1024 * 1024, encoding: 'utf8' });
  return Promise.resolve(output.split('\n').filter((line) => line.includes('ERROR')).length);
}

module.exports = { countErrors };
