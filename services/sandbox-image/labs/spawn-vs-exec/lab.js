'use strict';
// The harness's side of "Spawn vs exec" (README.md): the driver's settings (from the lab's
// check_config, clamped, plus a fresh seed per grading so answers cannot be memorised), and
// the report's measurements: the grader's exec reference next to the student's runs, with
// the student's peak memory growth and time as ratios of the reference's.

const crypto = require('crypto');

const { roundTo, spread } = require('../../harness/stats.js');
const { clampSettings } = require('../settings.js');

const DEFAULTS = Object.freeze({ output_mib: 8, repeats: 3, pause_ms: 50, call_timeout_ms: 10000 });
const BOUNDS = Object.freeze({
  output_mib: [2, 32],
  repeats: [1, 5],
  pause_ms: [0, 500],
  call_timeout_ms: [1000, 20000],
});
// Node's default maxBuffer for exec and execFile (1 MiB since Node 12).
const EXEC_DEFAULT_MAX_BUFFER = 1024 * 1024;

const PROVIDED_FILES = [];
/** The exec baseline runs in a process of its own, before the student's code runs. */
const HAS_REFERENCE = true;

/** The driver's settings: check_config's values where valid, clamped, else the defaults. */
function settings(checkConfig) {
  const chosen = clampSettings(checkConfig, DEFAULTS, BOUNDS);
  chosen.seed = crypto.randomInt(1, 2 ** 31);
  return chosen;
}

/**
 * The report's lab measurements (shape: harness-report.json, `measurements`): the log's
 * size and answer, the exec reference's runs and the student's (medians and spreads of
 * time, peak memory growth over the process's resident memory before its first run), and
 * the student's memory growth and time as ratios of the reference's.
 */
function summarize({ facts, runs, reference, childProcessCalls }) {
  const expected = reference?.facts.expected_errors ?? null;
  const execReference = summarizeVariant(reference?.runs ?? [], expected, 'execFile');
  const student = summarizeVariant(runs, expected, apisUsed(childProcessCalls));
  return {
    output_bytes: reference?.facts.output_bytes ?? null,
    expected_errors: expected,
    exec_default_max_buffer_bytes: EXEC_DEFAULT_MAX_BUFFER,
    repeats: facts.repeats ?? null,
    problem: facts.problem ?? (runs.length === 0 ? 'not_measured' : null),
    problem_detail: facts.error ?? null,
    variants: { exec_reference: execReference, student },
    memory_ratio: ratio(student?.peak_rss_growth_bytes, execReference?.peak_rss_growth_bytes),
    time_ratio: ratio(student?.wall_ms?.median, execReference?.wall_ms?.median),
  };
}

function summarizeVariant(runs, expected, api) {
  if (runs.length === 0) return null;
  const rssBefore = runs[0].rss_before_bytes;
  const peak = Math.max(...runs.map((run) => run.peak_rss_bytes ?? 0));
  return {
    api,
    runs: runs.length,
    correct: expected !== null && runs.every((run) => run.error === null && run.answer === expected),
    answer: runs[0].answer ?? null,
    error: runs.find((run) => run.error)?.error ?? null,
    wall_ms: spread(runs.map((run) => run.wall_ms)),
    cpu_ms: spread(runs.map((run) => run.cpu_ms)),
    rss_before_bytes: rssBefore,
    peak_rss_bytes: peak,
    peak_rss_growth_bytes: Math.max(0, peak - rssBefore),
  };
}

/** "spawn", "exec", "spawn+exec", or "none": the child_process functions the code called. */
function apisUsed(calls) {
  const used = Object.entries(calls ?? {})
    .filter(([, count]) => count > 0)
    .map(([name]) => name);
  return used.length === 0 ? 'none' : used.join('+');
}

function ratio(part, whole) {
  if (typeof part !== 'number' || typeof whole !== 'number' || !(whole > 0)) return null;
  return roundTo(part / whole, 3);
}

module.exports = { HAS_REFERENCE, PROVIDED_FILES, settings, summarize };
