// Attacks: the output limit and the grader's own memory: prints lines as fast as it can,
// forever, on stdout and stderr. The harness must stop it at the output limit and keep only
// a head and a tail; the grader must not hold the flood in memory.
// Expected: `output_limit`, output truncated with an elision marker.
console.log('first line of the flood');
const line = `${'x'.repeat(1023)}\n`;
for (let i = 0; ; i++) {
  process.stdout.write(line);
  if (i % 16 === 0) process.stderr.write(`error line ${i}\n`);
}
