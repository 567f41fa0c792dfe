// Style: an ES module, `import { spawn }` and readline's async iterator over the lines.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export async function countErrors(command, args) {
  const child = spawn(command, args);
  let errors = 0;
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
    if (line.includes('ERROR')) errors += 1;
  }
  return errors;
}
