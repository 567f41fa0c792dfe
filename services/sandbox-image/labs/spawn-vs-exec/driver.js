'use strict';
// The driver of "Spawn vs exec" (README.md). Run by the harness twice, in two processes, so
// that each one's peak memory is its own:
//   --reference   first, with no hooks and no student code: the grader's own exec solution
//                 (execFile with a buffer big enough for the whole output), and the answer
//                 computed without running the command;
//   student mode  then, as the main script of the student's process: the student's
//                 countErrors(command, args).
// Each run reports (a `lab_run` measurement) its wall and CPU time, the answer, and two
// kinds of memory:
//   retained  what the process's JavaScript holds (retained-memory.js: after a forced full
//             collection), before the call and at its peak during the call: sampled on a
//             timer, when the command's stdout ends (the hooks call us before the student's
//             'end' listeners run: a reader that keeps the output still holds all of it),
//             and when the call returns. This is what the lab judges;
//   RSS       the process's peak resident memory so far (getrusage's maxRSS) next to its
//             resident memory before the first run: allocation, garbage included, shown for
//             comparison only.
// In student mode the hooks also say, per call, how often the command was started with the
// arguments given (and how often something else was), and how many bytes of its stdout the
// student's code received. Which child_process functions it called, the hooks count.

const kit = require('../driver-kit.js');
const { followRetainedMemory, retainedBytes } = require('../retained-memory.js');

const channel = kit.takeChannel();
const { execFile } = require('child_process');
const path = require('path');
const { describeLog } = require('./server-log.js');

const COMMAND_SCRIPT = path.join(__dirname, 'server-log.js');
const REFERENCE_MAX_BUFFER = 1024 * 1024 * 1024;
const { max, round } = Math;

async function main() {
  if (channel === null) return; // the hooks failed to install: the harness reports it
  const reference = kit.isReferenceRun();
  const operands = process.argv.slice(2).filter((arg) => arg !== '--reference');
  const entryPath = reference ? null : operands[0];
  const config = JSON.parse(operands[operands.length - 1]);
  const command = process.execPath;
  const args = [COMMAND_SCRIPT, '--seed', String(config.seed), '--mib', String(config.output_mib)];

  // Set for the duration of each call: the hooks' end-of-output callback samples into it.
  let following = null;
  let retainedAtOutputEnd = null;
  if (!reference) {
    channel.watchCommand(command, args, () => {
      if (following === null) return;
      retainedAtOutputEnd = max(retainedAtOutputEnd ?? 0, following.sample());
    });
  }

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
  const noOutput = { command_spawns: 0, command_bytes_read: 0, other_spawns: 0, other_file: null };
  // The exec reference decides no check (its figures are shown beside the student's), so it
  // runs reference_repeats times (once by default); the student's calls, `repeats` times.
  const calls = reference ? (config.reference_repeats ?? config.repeats) : config.repeats;
  for (let repeat = 0; repeat < calls; repeat++) {
    await kit.sleep(config.pause_ms);
    const outputBefore = reference ? noOutput : channel.commandOutput();
    const retainedBefore = retainedBytes(2);
    retainedAtOutputEnd = null;
    following = followRetainedMemory(config.sample_ms);
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
    const retained = following.stop();
    following = null;
    const output = reference ? noOutput : channel.commandOutput();
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
      retained_before_bytes: retainedBefore.total,
      retained_before_array_buffer_bytes: retainedBefore.array_buffers,
      peak_retained_bytes: retained.peak_bytes,
      peak_retained_array_buffer_bytes: retained.peak_array_buffer_bytes,
      retained_at_output_end_bytes: retainedAtOutputEnd,
      retained_samples: retained.samples,
      command_spawns: output.command_spawns - outputBefore.command_spawns,
      command_bytes_read: output.command_bytes_read - outputBefore.command_bytes_read,
      other_spawns: output.other_spawns - outputBefore.other_spawns,
      other_file: output.other_file,
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
