// Spawn vs exec, failed: with a maxBuffer big enough exec gets the right answer, but only
// after holding the whole output in memory at once.
const { promisify } = require('node:util');
const execFile = promisify(require('node:child_process').execFile);

async function countErrors(command, args) {
  const { stdout } = await execFile(command, args, { maxBuffer: 1024 * 1024 * 1024 });
  return stdout.split('\n').filter((line) => line.includes('ERROR')).length;
}

module.exports = { countErrors };
