'use strict';
// Counts the tasks (processes and threads) alive in the sandbox against its process limit,
// at the moment the harness stops the student's program at the wall time. A fork bomb spins
// at the limit until then, and this count is how the grader tells it from a program that
// merely ran out of time under runsc (gVisor): there the student's limit is RLIMIT_NPROC
// inside the sandbox, whose refused forks the host's pids cgroup never counts. Under runc the
// limit is the container's pids limit (the job's `pids`), and the count agrees with the
// host's counters. Every task in the sandbox counts: init, the harness and the student's
// run all have the sandbox's uid, and both limits count threads.

const fs = require('fs');

// The count moves as a bomb's processes end and others take their place: its peak over a
// few quick reads is the number of tasks the limit held.
const SAMPLES = 5;

/** Tasks (threads of every process) visible in `procRoot`. */
function countTasks(procRoot = '/proc') {
  let count = 0;
  let entries = [];
  try {
    entries = fs.readdirSync(procRoot);
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      count += fs.readdirSync(`${procRoot}/${entry}/task`).length;
    } catch {
      // it ended while we read
    }
  }
  return count;
}

/** RLIMIT_NPROC's soft limit from `limitsPath`, or null when unlimited or unreadable. */
function nprocLimit(limitsPath = '/proc/self/limits') {
  try {
    const line = fs
      .readFileSync(limitsPath, 'utf8')
      .split('\n')
      .find((text) => text.startsWith('Max processes'));
    const soft = line === undefined ? null : line.slice('Max processes'.length).trim().split(/\s+/)[0];
    return soft !== null && /^\d+$/.test(soft) ? Number(soft) : null;
  } catch {
    return null;
  }
}

/** {count, limit}: the most tasks seen at once and the limit they count against, or null
 * when no limit is known (a job without limits, outside a container). */
function tasksAtStop(jobPids) {
  const limit = nprocLimit() ?? (Number.isInteger(jobPids) && jobPids > 0 ? jobPids : null);
  if (limit === null) return null;
  let peak = null;
  for (let i = 0; i < SAMPLES; i += 1) {
    const count = countTasks();
    if (count !== null) peak = Math.max(peak ?? 0, count);
  }
  return peak === null ? null : { count: peak, limit };
}

module.exports = { countTasks, nprocLimit, tasksAtStop };
