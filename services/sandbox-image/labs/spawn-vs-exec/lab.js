'use strict';
// The harness's side of "Spawn vs exec" (README.md): the driver's settings (from the lab's
// check_config, clamped, plus a fresh seed per grading so answers cannot be memorised), and
// the report's measurements: the grader's exec reference next to the student's runs, with
// the student's peak memory growth and time as ratios of the reference's.

const crypto = require('crypto');

const { roundTo, spread } = require('../../harness/stats.js');
const { clampSettings } = require('../settings.js');

// reference_repeats: how often the grader's exec solution runs. No check reads its figures
// (they are quoted beside the student's, for comparison), so once is enough by default.
const DEFAULTS = Object.freeze({
  output_mib: 8,
  repeats: 3,
  reference_repeats: 1,
  pause_ms: 50,
  call_timeout_ms: 10000,
  sample_ms: 200,
});
const BOUNDS = Object.freeze({
  sample_ms: [0, 1000],
  output_mib: [2, 32],
  repeats: [1, 5],
  reference_repeats: [1, 5],
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
 * time; peak RSS growth over the process's resident memory before its first run; retained
 * memory growth per call, over the call's own retained memory before it), what became of
 * the command's output in the student's process, and ratios: the student's RSS growth and
 * time over the reference's, the largest retained growth of each over the output's size,
 * and the bytes of the output the student's code received in its poorest call over it.
 */
function summarize({ facts, runs, reference, childProcessCalls }) {
  const expected = reference?.facts.expected_errors ?? null;
  const execReference = summarizeVariant(reference?.runs ?? [], expected, 'execFile');
  const student = summarizeVariant(runs, expected, apisUsed(childProcessCalls));
  const outputBytes = reference?.facts.output_bytes ?? null;
  if (student !== null) student.command = commandOutput(runs);
  return {
    output_bytes: outputBytes,
    expected_errors: expected,
    exec_default_max_buffer_bytes: EXEC_DEFAULT_MAX_BUFFER,
    repeats: facts.repeats ?? null,
    problem: facts.problem ?? (runs.length === 0 ? 'not_measured' : null),
    problem_detail: facts.error ?? null,
    variants: { exec_reference: execReference, student },
    memory_ratio: ratio(student?.peak_rss_growth_bytes, execReference?.peak_rss_growth_bytes),
    time_ratio: ratio(student?.wall_ms?.median, execReference?.wall_ms?.median),
    retained_ratio: ratio(student?.retained_growth_bytes?.max, outputBytes),
    exec_retained_ratio: ratio(execReference?.retained_growth_bytes?.max, outputBytes),
    read_ratio: ratio(student?.command?.bytes_read_min, outputBytes),
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
    retained_before_bytes: runs[0].retained_before_bytes ?? null,
    retained_growth_bytes: spread(runs.map((run) => retainedGrowth(run, 'peak_retained_bytes'))),
    retained_growth_array_buffer_bytes: spread(
      runs.map((run) => retainedGrowth(run, 'peak_retained_array_buffer_bytes')),
    ),
    retained_at_output_end_bytes: maxOf(
      runs.map((run) => retainedGrowth(run, 'retained_at_output_end_bytes')),
    ),
    retained_samples: spread(runs.map((run) => run.retained_samples ?? 0)),
  };
}

/**
 * A run's retained memory at `key` over its own retained memory before the call (ArrayBuffer
 * bytes over those before it), or null when not measured.
 */
function retainedGrowth(run, key) {
  const value = run[key];
  if (typeof value !== 'number') return null;
  const before =
    key === 'peak_retained_array_buffer_bytes'
      ? run.retained_before_array_buffer_bytes
      : run.retained_before_bytes;
  return typeof before === 'number' ? Math.max(0, value - before) : null;
}

/** What the hooks saw of the command over the student's runs (see driver.js). */
function commandOutput(runs) {
  const bytesRead = runs.map((run) => run.command_bytes_read ?? 0);
  return {
    spawns: runs.reduce((sum, run) => sum + (run.command_spawns ?? 0), 0),
    bytes_read_min: Math.min(...bytesRead),
    bytes_read_max: Math.max(...bytesRead),
    other_spawns: runs.reduce((sum, run) => sum + (run.other_spawns ?? 0), 0),
    other_file: runs.map((run) => run.other_file).find((file) => typeof file === 'string') ?? null,
  };
}

function maxOf(values) {
  const numbers = values.filter((value) => typeof value === 'number');
  return numbers.length === 0 ? null : Math.max(...numbers);
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
