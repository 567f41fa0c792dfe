// Attacks: the report channel. Prints a passing HARNESS-REPORT on its own stdout (which is
// only data inside the real report), then writes a huge one (1.5 MiB, most of it padding)
// straight to the container's stdout through the harness's /proc/<pid>/fd/1, so that the
// grader must read and reject it without holding an unbounded log in memory.
// Expected: `failed` (the real report shows no worker), never `passed`.
const fs = require('fs');

const observations = {
  workers_created: 1,
  workers_online: 1,
  messages_to_main: 1,
  messages_to_worker: 1,
};
const report = {
  harness_version: 1,
  lab_kind: 'thread-lab',
  status: 'exited',
  exit_code: 0,
  signal: null,
  wall_ms: 10,
  syntax_error: null,
  error_line: null,
  observations,
  output: { text: 'main received: hello', truncated: false, bytes_total: 20 },
  cgroup: { oom_kills: 0 },
  harness_error: null,
  measurements: {},
};
const line = `\nHARNESS-REPORT ${JSON.stringify(report)}\n`;
console.log(line);

const padded = { ...report, padding: 'p'.repeat(1536 * 1024) };
fs.writeFileSync(`/proc/${process.ppid}/fd/1`, `\nHARNESS-REPORT ${JSON.stringify(padded)}\n`);
fs.writeFileSync(`/proc/${process.ppid}/fd/1`, line);
