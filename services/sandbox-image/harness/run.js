'use strict';
// The sandbox container's entry point (ENTRYPOINT node /opt/harness/run.js). It runs one
// student submission as the grader described it (its job, on stdin or in /work) and prints one
// HARNESS-REPORT line. It only observes; the grader judges. Whatever happens, including a
// bug in here, the last line of stdout is a report and the exit code is 0, so the grader can
// tell "the student's code failed" from "the harness failed".

const path = require('path');

const { findErrorLine, heapOutOfMemory } = require('./diagnostics');
const { cpuStatDelta, readCgroup, readCpuStat, withJobLimits } = require('./cgroup');
const { takeJobInput } = require('./job_input');
const { buildMeasurements, driverFailure, findLab, provideFiles, runReference } = require('./labs');
const { buildReport, harnessErrorReport, printReport } = require('./report');
const { waitUntilAlone } = require('./reaper');
const { runStudent } = require('./student');
const { checkSyntax } = require('./syntax');
const { HeadTailCapture } = require('./output');

// The job and the student's files: on stdin from the grader, or in /work (job_input.js).
const WORK_DIR = '/work';
const SUBMISSION_DIR = '/tmp/submission';
// Exactly what the student's program sees: no variable of the image or the grader leaks in.
const STUDENT_ENV = Object.freeze({
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/tmp',
  LANG: 'C.UTF-8',
});

// How long to wait for the student's last processes to be reaped before printing anyway.
const REAP_TIMEOUT_MS = 2000;

// Known once job.json is read, so that a crash report still names the lab.
let labKind = 'unknown';
let reported = false;

/** Print the report once, after every student process is gone, and exit 0. */
async function finish(report) {
  if (reported) return;
  reported = true;
  try {
    await waitUntilAlone(REAP_TIMEOUT_MS);
  } finally {
    printReport(report, () => process.exit(0));
  }
}

async function main() {
  try {
    const job = takeJobInput(WORK_DIR, SUBMISSION_DIR);
    labKind = job.labKind;
    const lab = findLab(job.labKind, job.checkConfig);
    if (lab !== null) provideFiles(lab, SUBMISSION_DIR);
    const entryPath = path.join(SUBMISSION_DIR, job.entrypoint);
    const options = { cwd: SUBMISSION_DIR, env: { ...STUDENT_ENV } };

    const syntax = await checkSyntax(entryPath, { ...options, timeoutMs: job.wallMs });
    if (syntax.syntaxError !== null) {
      finish(syntaxErrorReport(job, syntax));
      return;
    }

    // A driven lab's reference runs first, in a process of its own, before any student code.
    const reference =
      lab === null ? null : await runReference(lab, { ...options, timeoutMs: job.wallMs });
    const statBefore = readCpuStat();
    // A driver also learns the CPUs its quota grants (the job's, as the report says), which
    // a stopping rule judges the speedup against.
    const quota = withJobLimits(readCgroup(), job.limits).cpu_quota_cpus ?? null;
    const driverConfig = JSON.stringify({ ...lab?.settings, cpu_quota_cpus: quota });
    const run = await runStudent(
      lab === null
        ? { ...options, entryPath, job }
        : { ...options, entryPath: lab.driverPath, args: [entryPath, driverConfig], job },
    );
    const throttling = cpuStatDelta(statBefore, readCpuStat());
    const cgroup = withJobLimits(readCgroup(), job.limits);
    if (heapOutOfMemory(run.stderrText)) cgroup.oom_kills = Math.max(cgroup.oom_kills ?? 0, 1);
    const measurements = buildMeasurements({ lab, tally: run.tally, cgroup, throttling, reference });
    // Without whole observations a thread lab would be failed for our fault, not the student's;
    // a driven lab's measurements may be ours to redo too (its driver failed, or they say
    // nothing, e.g. a job too short to time on this machine).
    const ourFailure = run.observationFailure ?? driverFailure(run.tally, measurements);
    const hooksFailed =
      ourFailure === null ? {} : { status: 'harness_error', harness_error: ourFailure };
    finish(
      buildReport({
        lab_kind: job.labKind,
        status: run.status,
        exit_code: run.exitCode,
        signal: run.signal,
        wall_ms: run.wallMs,
        error_line: findErrorLine(run.stderrText),
        observations: run.observations,
        child_process_calls: run.tally.childProcessCalls(),
        output: run.output,
        cgroup,
        tasks_at_stop: run.tasksAtStop,
        measurements,
        ...hooksFailed,
      }),
    );
  } catch (error) {
    finish(harnessErrorReport(error, { lab_kind: labKind }));
  }
}

/** The program did not compile: report Node's message and location, and do not run it. */
function syntaxErrorReport(job, syntax) {
  const output = new HeadTailCapture();
  output.push(Buffer.from(syntax.stderr, 'utf8'));
  return buildReport({
    lab_kind: job.labKind,
    exit_code: syntax.exitCode,
    syntax_error: syntax.syntaxError,
    error_line: syntax.syntaxError.message,
    output: output.snapshot(),
    cgroup: withJobLimits(readCgroup(), job.limits),
  });
}

function crash(error) {
  finish(harnessErrorReport(error, { lab_kind: labKind }));
}

process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
// The student's code runs with our uid and may signal us (docker-init forwards SIGUSR1 too).
// On SIGUSR1 Node opens its inspector on 127.0.0.1:9229, which the student reaches over the
// container's loopback, and whoever connects runs code in here: print a passing report and
// exit 0. A listener of our own replaces Node's SIGUSR1 handler, so the inspector never opens.
process.on('SIGUSR1', () => {});
main();
