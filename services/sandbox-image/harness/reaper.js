'use strict';
// Ends the student's processes. The program runs in its own process group, so one signal to
// the group ends it and every child it did not detach. A child it did detach (setsid, as
// spawn({detached: true}) does) escapes the group and would keep the container, and its
// pipes, alive until the grader's outer timeout: after the program ends we therefore signal
// every process we are allowed to, which inside the container means every process but
// ourselves and the init process (PID 1, docker-init).

/** SIGKILL the process group led by `pid`; false when it is already gone. */
function killProcessGroup(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(-pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

/**
 * True when we run as the container's main process: the child of its init (docker run
 * --init) or init itself. Elsewhere, say a developer running run.js by hand, kill(-1) would
 * end every process of the developer's user, so we never send it.
 */
function insideSandboxContainer() {
  return process.pid === 1 || process.ppid === 1;
}

/** SIGKILL every process we may signal except ourselves (kill(2) with pid -1). */
function killEverythingElse() {
  if (!insideSandboxContainer()) return false;
  try {
    process.kill(-1, 'SIGKILL');
    return true;
  } catch {
    // ESRCH: nothing left to signal.
    return false;
  }
}

/**
 * Resolve once no process but ourselves and init is left (kill(-1) fails with ESRCH), killing
 * again on every poll, or after `timeoutMs`. The report is printed only then: a student
 * process that is still dying could otherwise write to the container's stdout (it can open
 * /proc/<our pid>/fd/1) after the report, and the report must be the last line.
 */
function waitUntilAlone(timeoutMs) {
  if (!insideSandboxContainer()) return Promise.resolve(false);
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const poll = () => {
      if (!killEverythingElse()) resolve(true);
      else if (Date.now() >= deadline) resolve(false);
      else setTimeout(poll, 5);
    };
    poll();
  });
}

module.exports = { killProcessGroup, killEverythingElse, waitUntilAlone };
