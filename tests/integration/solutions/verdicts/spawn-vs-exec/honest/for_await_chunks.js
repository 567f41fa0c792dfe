// Style: async iteration, `for await (const chunk of child.stdout)`, with a carried partial line.
const { spawn } = require('node:child_process');
const { once } = require('node:events');

async function countErrors(command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = once(child, 'close');
  let rest = '';
  let errors = 0;
  for await (const chunk of child.stdout) {
    const text = rest + chunk;
    let start = 0;
    let end;
    while ((end = text.indexOf('\n', start)) !== -1) {
      if (text.slice(start, end).includes('ERROR')) errors++;
      start = end + 1;
    }
    rest = text.slice(start);
  }
  if (rest.includes('ERROR')) errors++;
  const [code] = await exited;
  if (code !== 0) throw new Error(`the command exited with ${code}`);
  return errors;
}

module.exports = { countErrors };
