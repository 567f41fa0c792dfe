'use strict';
// Labs graded from measurements. Most labs run the student's file as the program (Thread
// Lab). A lab with a directory labs/<kind>/ holding a driver.js (installed at /opt/labs) runs
// its driver instead: the driver loads the student's file, calls what it exports the ways
// the lab compares, and reports timed runs over the hooks' channel. Its lab.js, loaded here
// in the harness, gives the driver's settings (from check_config), the files to put next to
// the student's, an optional reference run made before any student code runs, and turns
// the driver's runs into the report's measurements.

const { execFile } = require('child_process');
const fs = require('fs');
const path = require('path');

const LABS_DIR = path.resolve(__dirname, '..', 'labs');
const LAB_KIND = /^[a-z][a-z0-9-]{0,63}$/;
const REFERENCE_PREFIX = 'LAB-REFERENCE ';
const REFERENCE_OUTPUT_BYTES = 256 * 1024;

/** The driven lab for `labKind`: {kind, driverPath, definition, settings}, or null. */
function findLab(labKind, checkConfig) {
  if (!LAB_KIND.test(labKind)) return null;
  const dir = path.join(LABS_DIR, labKind);
  const driverPath = path.join(dir, 'driver.js');
  if (!fs.existsSync(driverPath)) return null;
  const definition = require(path.join(dir, 'lab.js'));
  return { kind: labKind, dir, driverPath, definition, settings: definition.settings(checkConfig) };
}

/** Copy the lab's own files next to the student's; ours win over a file of the same name. */
function provideFiles(lab, submissionDir) {
  for (const name of lab.definition.PROVIDED_FILES) {
    const target = path.join(submissionDir, name);
    fs.rmSync(target, { recursive: true, force: true });
    fs.copyFileSync(path.join(lab.dir, name), target);
    fs.chmodSync(target, 0o644);
  }
}

/**
 * Run the lab's driver in reference mode (no hooks, no student code) when the lab has one,
 * and resolve to {facts, runs} from its LAB-REFERENCE lines, or null.
 */
function runReference(lab, { cwd, env, timeoutMs }) {
  if (!lab.definition.HAS_REFERENCE) return Promise.resolve(null);
  const args = [lab.driverPath, '--reference', JSON.stringify(lab.settings)];
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd, env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: REFERENCE_OUTPUT_BYTES },
      (error, stdout, stderr) => {
        if (error) {
          const detail = String(stderr).trim().split('\n').pop() || error.message;
          reject(new Error(`the ${lab.kind} reference run failed: ${detail}`));
          return;
        }
        resolve(parseMeasurementLines(stdout));
      },
    );
  });
}

function parseMeasurementLines(stdout) {
  const facts = {};
  const runs = [];
  for (const line of String(stdout).split('\n')) {
    if (!line.startsWith(REFERENCE_PREFIX)) continue;
    const { k: kind, v: value } = JSON.parse(line.slice(REFERENCE_PREFIX.length));
    if (kind === 'lab_fact') Object.assign(facts, value);
    else if (kind === 'lab_run') runs.push(value);
  }
  return { facts, runs };
}

/**
 * The report's `measurements`: the CPU quota and the container's throttling over the
 * student's run for every lab; for Thread Lab-like labs the main thread's event-loop delay
 * while workers ran; for a driven lab what its lab.js makes of the driver's runs.
 */
function buildMeasurements({ lab, tally, cgroup, throttling, reference }) {
  const common = { cpu_quota_cpus: cgroup.cpu_quota_cpus ?? null, throttling };
  if (lab === null) {
    return { ...common, loop_delay_while_workers_ran: tally.latestValue('loop_delay') };
  }
  const facts = { ...lab.settings, ...tally.mergedValues('lab_fact') };
  const summary = lab.definition.summarize({
    facts,
    runs: tally.listedValues('lab_run'),
    cpuQuotaCpus: common.cpu_quota_cpus,
    reference,
    childProcessCalls: tally.childProcessCalls(),
  });
  return { ...common, ...summary };
}

/**
 * Why a driven lab's run is ours to redo (a harness_error, not the student's), or null:
 * the driver reported its own failure, or lab.js found the measurements inconclusive.
 */
function driverFailure(tally, measurements) {
  const error = tally.mergedValues('lab_fact').driver_error;
  if (typeof error === 'string') return `the lab driver failed: ${error}`;
  if (measurements.problem === 'inconclusive') {
    return `the measurements are inconclusive: ${measurements.problem_detail}`;
  }
  return null;
}

module.exports = { buildMeasurements, driverFailure, findLab, provideFiles, runReference };
