'use strict';
// The driver of "Spawn vs exec" (README.md). Run by the harness twice, in two processes, so
// that each one's peak memory is its own:
//   --reference   first, with no hooks and no student code: the grader's own exec solution
//                 (execFile with a buffer big enough for the whole output), and the answer
//                 computed without running the command;
//   student mode  then, as the main script of the student's process: the student's
//                 countErrors(command, args).
// Each run reports (a `lab_run` measurement) its wall and CPU time, the answer, and the
// process's peak resident memory so far (getrusage's maxRSS, which the kernel keeps, so a
// peak between two samples is never missed) next to its resident memory before the first
// run. Which child_process functions the student's code called, the hooks count.

const kit = require('../driver-kit.js');

const channel = kit.takeChannel();
const { execFile } = require('child_process');
const path = require('path');
const { describeLog } = require('./server-log.js');

const COMMAND_SCRIPT = path.join(__dirname, 'server-log.js');
const REFERENCE_MAX_BUFFER = 1024 * 1024 * 1024;
const { round } = Math;

async function main() {
  if (channel === null) return; // the hooks failed to install: the harness reports it
  const reference = kit.isReferenceRun();
  const operands = process.argv.slice(2).filter((arg) => arg !== '--reference');
  const entryPath = reference ? null : operands[0];
  const config = JSON.parse(operands[operands.length - 1]);
  const command = process.execPath;
  const args = [COMMAND_SCRIPT, '--seed', String(config.seed), '--mib', String(config.output_mib)];

  let countErrors;
  if (reference) {
    countErrors = referenceCountErrors;
    const log = describeLog(config.seed, round(config.output_mib * 1024 * 1024));
    channel.send('lab_fact', { expected_errors: log.error_lines, output_bytes: log.bytes });
  } else {
    const loaded = await kit.loadExport(entryPath, 'countErrors');
    if (loaded.error !== null) {
      channel.send('lab_fact', { problem: 'load_error', error: kit.errorLine(loaded.error) });
      kit.printError(loaded.error);
      kit.exitProcess(1);
      return;
    }
    if (typeof loaded.value !== 'function') {
      channel.send('lab_fact', { problem: 'function_missing', error: null });
      kit.exitProcess(0);
      return;
    }
    countErrors = loaded.value;
    channel.send('lab_fact', { problem: null, error: null });
  }

  const variant = reference ? 'exec_reference' : 'student';
  const rssBefore = kit.memoryUsage().rss;
  for (let repeat = 0; repeat < config.repeats; repeat++) {
    await kit.sleep(config.pause_ms);
    const cpuBefore = kit.cpuUsage();
    const started = kit.now();
    let answer = null;
    let error = null;
    try {
      answer = await kit.withTimeout(countErrors(command, [...args]), config.call_timeout_ms);
    } catch (thrown) {
      error = kit.errorLine(thrown);
    }
    const wallMs = kit.now() - started;
    const cpu = kit.cpuUsage(cpuBefore);
    channel.send('lab_run', {
      variant,
      repeat,
      wall_ms: round(wallMs * 10) / 10,
      cpu_ms: round((cpu.user + cpu.system) / 100) / 10,
      answer: typeof answer === 'number' && Number.isFinite(answer) ? answer : null,
      answer_type: answer === null ? null : typeof answer,
      error,
      rss_before_bytes: rssBefore,
      peak_rss_bytes: kit.resourceUsage().maxRSS * 1024,
    });
    if (error !== null) break;
  }
  kit.exitProcess(0);
}

/** The grader's exec solution: buffer the whole output (room for all of it), then count. */
function referenceCountErrors(command, args) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: REFERENCE_MAX_BUFFER }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout.split('\n').filter((line) => line.includes('ERROR')).length);
    });
  });
}

main().catch((error) => {
  // A bug of ours, not the student's: the harness turns this fact into a harness_error.
  if (channel !== null) channel.send('lab_fact', { driver_error: kit.errorLine(error) });
  kit.exitProcess(70);
});
