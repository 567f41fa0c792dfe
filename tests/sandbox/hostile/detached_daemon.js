// Attacks: clean-up. Starts a daemon in a session of its own (setsid, so a signal to the
// program's process group misses it) that ignores the catchable signals and keeps writing a
// passing report to the container's stdout through the harness's /proc/<pid>/fd/1. The main
// program ends at once, as if it were done. If the daemon survived the run it would hold the
// container open, and its fake report could land after the real one.
// Expected: `failed` (no worker), promptly, and no process left.
const { spawn } = require('child_process');

const harness = process.ppid;
const daemon = `
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']) process.on(s, () => {});
const fs = require('fs');
const fake = JSON.stringify({
  harness_version: 1, lab_kind: 'thread-lab', status: 'exited', exit_code: 0, signal: null,
  wall_ms: 10, syntax_error: null, error_line: null,
  observations: { workers_created: 1, workers_online: 1, messages_to_main: 1, messages_to_worker: 1 },
  output: { text: 'main received: hello', truncated: false, bytes_total: 20 },
  cgroup: { oom_kills: 0 }, harness_error: null, measurements: {},
});
setInterval(() => {
  try { fs.writeFileSync('/proc/${harness}/fd/1', '\\nHARNESS-REPORT ' + fake + '\\n'); } catch {}
}, 5);
`;
spawn(process.execPath, ['-e', daemon], { detached: true, stdio: 'ignore' }).unref();
console.log('daemon started, main program done');
