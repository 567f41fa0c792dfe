// Attacks: secrets. Dumps every environment it can read: its own, the harness's and
// docker-init's (same uid, so /proc/<pid>/environ is readable), hoping the grader's host
// passed along its Redis URL, cloud keys or tokens.
// Expected: `failed` (no worker); the test sets fake secrets in the grader's environment and
// checks that none of them appears in the output.
const fs = require('fs');

const environments = { 'process.env': process.env };
for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
    environments[`/proc/${pid}/environ`] = text.split('\0').filter(Boolean);
  } catch (error) {
    environments[`/proc/${pid}/environ`] = `unreadable: ${error.code}`;
  }
}
console.log(JSON.stringify(environments, null, 1));
