// Attacks: the harness itself, which runs with the student's uid. Writes a passing report
// to the container's stdout through /proc, then SIGKILLs the harness so that no real report
// follows: the fake one is the last line. The grader trusts a report only when the harness
// exited 0, and a harness killed by its student is the student's doing.
// Expected: `error` (the program ended the grader's harness), never `passed`.
const fs = require('fs');

const report = {
  harness_version: 1,
  lab_kind: 'thread-lab',
  status: 'exited',
  exit_code: 0,
  signal: null,
  wall_ms: 10,
  syntax_error: null,
  error_line: null,
  observations: { workers_created: 1, workers_online: 1, messages_to_main: 1, messages_to_worker: 1 },
  output: { text: 'main received: hello', truncated: false, bytes_total: 20 },
  cgroup: { oom_kills: 0 },
  harness_error: null,
  measurements: {},
};
fs.writeFileSync(`/proc/${process.ppid}/fd/1`, `\nHARNESS-REPORT ${JSON.stringify(report)}\n`);
process.kill(process.ppid, 'SIGKILL');
