'use strict';
// Shapes and prints the harness report, the one thing the grader reads from the container:
// the last line of stdout, `HARNESS-REPORT ` and compact JSON matching
// services/contract/contract/schemas/harness-report.json. Every path out of the harness,
// including its own failures, goes through here, so a report is always written.

const HARNESS_VERSION = 1;
const PREFIX = 'HARNESS-REPORT ';

const NO_OBSERVATIONS = Object.freeze({
  workers_created: 0,
  workers_online: 0,
  messages_to_main: 0,
  messages_to_worker: 0,
});

/** A complete report; `fields` overrides the neutral defaults. */
function buildReport(fields) {
  return {
    harness_version: HARNESS_VERSION,
    lab_kind: 'unknown',
    status: 'exited',
    exit_code: null,
    signal: null,
    wall_ms: 0,
    syntax_error: null,
    error_line: null,
    observations: { ...NO_OBSERVATIONS },
    output: { text: '', truncated: false, bytes_total: 0 },
    cgroup: { oom_kills: null, cpu_quota_cpus: null, memory_limit_bytes: null },
    harness_error: null,
    measurements: {},
    ...fields,
  };
}

/** The report for a run the harness could not carry out (its fault, not the student's). */
function harnessErrorReport(error, fields = {}) {
  const message = error instanceof Error ? error.message : String(error);
  return buildReport({ ...fields, status: 'harness_error', harness_error: message || 'unknown' });
}

/**
 * Print the report as the last line and call `done`. The leading newline ends any partial
 * line already on stdout, so the report always starts a line of its own.
 */
function printReport(report, done) {
  process.stdout.write(`\n${PREFIX}${JSON.stringify(report)}\n`, done);
}

module.exports = { buildReport, harnessErrorReport, printReport, HARNESS_VERSION };
