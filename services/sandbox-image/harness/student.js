'use strict';
// Runs the student's program once, under the harness's watch: its own process group, its own
// pipes (its output is data for the report, never the harness's stdout, so it can never be
// mistaken for the report), the hooks preloaded with a fresh token, and three reasons to stop
// it early: the inner wall timeout, too much output, and the lab's goal reached while the
// program keeps running (typically a parentPort 'message' listener that keeps a worker alive).

const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const { EventTally } = require('./events');
const { HeadTailCapture } = require('./output');
const { killEverythingElse, killProcessGroup } = require('./reaper');
const { tasksAtStop } = require('./tasks');

const HOOKS_PATH = path.join(__dirname, 'hooks.cjs');
// Once the program has exited and its stragglers are killed, the pipes close at once; the
// grace only matters when they could not be killed (outside the container).
const DRAIN_GRACE_MS = 1000;
// After the wall timeout's SIGKILL the kernel ends the program immediately; if it still has
// not been reaped this much later, something is wrong with us, not with the student.
const EXIT_AFTER_KILL_GRACE_MS = 5000;
const STDERR_KEEP_BYTES = 32 * 1024;
const TOKEN_BYTES = 24;

/**
 * Run `node --require hooks.cjs entryPath ...args` and resolve, once it has ended and its
 * output is drained, to {status, exitCode, signal, wallMs, output, stderrText, observations,
 * observationFailure, tally, tasksAtStop}; tasksAtStop is counted at the wall timeout only,
 * before the kill (null otherwise). For a lab with a driver, entryPath is the driver and args
 * name the student's file.
 */
function runStudent({ entryPath, args = [], cwd, env, job }) {
  return new Promise((resolve, reject) => {
    const token = randomToken();
    const tally = new EventTally(token);
    const output = new HeadTailCapture();
    const stderr = new HeadTailCapture(STDERR_KEEP_BYTES, STDERR_KEEP_BYTES);
    let stopReason = null;
    let stoppedTasks = null;
    let exited = false;
    let goalTimer = null;

    const startedAt = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--require', HOOKS_PATH, entryPath, ...args], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    const [, stdoutPipe, stderrPipe, eventPipe, tokenPipe] = child.stdio;
    for (const stream of [stdoutPipe, stderrPipe, eventPipe, tokenPipe]) {
      // EPIPE/ECONNRESET when the program dies early: the exit handler reports it.
      stream.on('error', () => {});
    }
    tokenPipe.end(token);

    const stop = (reason) => {
      if (stopReason !== null || exited) return;
      stopReason = reason;
      killProcessGroup(child.pid);
    };

    const wallTimer = setTimeout(() => {
      if (stopReason === null && !exited) stoppedTasks = tasksAtStop(job.limits?.pids);
      stop('timeout');
    }, job.wallMs);
    const failsafe = setTimeout(() => {
      killProcessGroup(child.pid);
      reject(new Error('the student process was not reaped after SIGKILL'));
    }, job.wallMs + EXIT_AFTER_KILL_GRACE_MS);

    const onOutput = (chunk) => {
      output.push(chunk);
      if (output.bytesTotal > job.outputBytes) stop('output_limit');
    };
    stdoutPipe.on('data', onOutput);
    stderrPipe.on('data', (chunk) => {
      stderr.push(chunk);
      onOutput(chunk);
    });
    eventPipe.on('data', (chunk) => {
      tally.push(chunk);
      const goalSet = job.goal === 'message_crossed' && job.stopAfterGoalMs !== null;
      if (goalSet && goalTimer === null && !exited && tally.messageCrossed()) {
        goalTimer = setTimeout(() => stop('stopped_after_goal'), job.stopAfterGoalMs);
      }
    });

    child.on('error', (error) => {
      clearTimeout(wallTimer);
      clearTimeout(failsafe);
      clearTimeout(goalTimer);
      reject(new Error(`cannot start the student's program: ${error.message}`));
    });

    child.on('exit', (exitCode, signal) => {
      exited = true;
      const wallMs = Math.round(Number(process.hrtime.bigint() - startedAt) / 1e5) / 10;
      clearTimeout(wallTimer);
      clearTimeout(goalTimer);
      clearTimeout(failsafe);
      killEverythingElse();
      drain([stdoutPipe, stderrPipe, eventPipe], DRAIN_GRACE_MS).then(() => {
        tokenPipe.destroy();
        resolve({
          status: stopReason ?? 'exited',
          exitCode,
          signal,
          wallMs,
          output: output.snapshot(),
          stderrText: stderr.snapshot().text,
          observations: tally.observations(),
          observationFailure: tally.observationFailure(),
          tally,
          tasksAtStop: stoppedTasks,
        });
      });
    });
  });
}

/**
 * The run's event token: TOKEN_BYTES from the kernel's random source, in hex. Read from
 * /dev/urandom rather than with require('crypto'), which loads some twenty of Node's own
 * modules that the image's Node (no code cache) compiles at every start, about 25 ms of the
 * sandbox's CPU; crypto.randomBytes is seeded from the same kernel source. Where
 * /dev/urandom cannot be read, crypto it is.
 */
function randomToken() {
  const bytes = Buffer.alloc(TOKEN_BYTES);
  try {
    const fd = fs.openSync('/dev/urandom', 'r');
    try {
      let filled = 0;
      while (filled < TOKEN_BYTES) {
        const read = fs.readSync(fd, bytes, filled, TOKEN_BYTES - filled, null);
        if (read === 0) throw new Error('/dev/urandom ended');
        filled += read;
      }
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return require('crypto').randomBytes(TOKEN_BYTES).toString('hex');
  }
  return bytes.toString('hex');
}

/** Resolve when every stream has closed, or after `graceMs`, destroying the stragglers. */
function drain(streams, graceMs) {
  const closed = streams.map(
    (stream) =>
      new Promise((resolve) => {
        if (stream.destroyed || stream.closed) resolve();
        else stream.once('close', resolve);
      }),
  );
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  return Promise.race([Promise.all(closed), deadline]).then(() => {
    clearTimeout(timer);
    for (const stream of streams) stream.destroy();
  });
}

module.exports = { runStudent, HOOKS_PATH };
