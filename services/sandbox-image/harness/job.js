'use strict';
// Reads and checks the job (/work/job.json, or streamed on stdin: job_input.js), the grader's
// instructions for this run. The grader has already clamped the limits to its ceilings;
// checking them again here means a malformed job fails loudly as a harness_error instead of
// running the student's code without a limit.

const fs = require('fs');
const path = require('path');

const GOALS = new Set(['message_crossed']);

class JobError extends Error {}

function requireField(condition, message) {
  if (!condition) throw new JobError(`job.json: ${message}`);
}

/**
 * Parse job.json at `file` into {labKind, entrypoint, wallMs, outputBytes, goal,
 * stopAfterGoalMs, checkConfig, limits}. `check_config` is the lab's settings from the course
 * content (optional, an object); a lab driver reads and clamps what it knows of it.
 */
function readJob(file) {
  let job;
  try {
    job = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new JobError(`cannot read ${file}: ${error.message}`);
  }
  return checkJob(job);
}

/** Check a parsed job (job.json's content, or the job the grader streamed on stdin). */
function checkJob(job) {
  requireField(job !== null && typeof job === 'object', 'not an object');
  requireField(typeof job.lab_kind === 'string' && job.lab_kind !== '', 'lab_kind missing');
  requireField(typeof job.entrypoint === 'string', 'entrypoint missing');
  const entrypoint = path.posix.normalize(job.entrypoint);
  requireField(
    entrypoint !== '.' && !path.posix.isAbsolute(entrypoint) && !entrypoint.startsWith('..'),
    `entrypoint ${JSON.stringify(job.entrypoint)} is not a path inside the submission`,
  );
  requireField(
    typeof job.wall_seconds === 'number' && job.wall_seconds > 0 && job.wall_seconds <= 3600,
    'wall_seconds must be a number in (0, 3600]',
  );
  requireField(
    Number.isInteger(job.output_bytes) && job.output_bytes > 0,
    'output_bytes must be a positive integer',
  );
  const goal = job.goal ?? null;
  requireField(goal === null || GOALS.has(goal), `unknown goal ${JSON.stringify(goal)}`);
  const stopAfterGoalMs = job.stop_after_goal_ms ?? null;
  requireField(
    stopAfterGoalMs === null || (typeof stopAfterGoalMs === 'number' && stopAfterGoalMs >= 0),
    'stop_after_goal_ms must be null or a number >= 0',
  );
  const checkConfig = job.check_config ?? {};
  requireField(
    checkConfig !== null && typeof checkConfig === 'object' && !Array.isArray(checkConfig),
    'check_config must be an object',
  );
  const limits = readLimits(job.limits ?? null);
  return {
    labKind: job.lab_kind,
    entrypoint,
    wallMs: Math.round(job.wall_seconds * 1000),
    outputBytes: job.output_bytes,
    goal,
    stopAfterGoalMs,
    checkConfig,
    limits,
  };
}

/**
 * The limits the grader gave the container ({cpus, memory_bytes, pids, wall_seconds}), or
 * null from a grader that sends none. They are the truth the harness reports, whatever its
 * cgroup shows (under runsc, nothing).
 */
function readLimits(limits) {
  if (limits === null) return null;
  requireField(typeof limits === 'object' && !Array.isArray(limits), 'limits must be an object');
  requireField(
    typeof limits.cpus === 'number' && limits.cpus > 0,
    'limits.cpus must be a positive number',
  );
  for (const name of ['memory_bytes', 'pids']) {
    requireField(
      Number.isInteger(limits[name]) && limits[name] > 0,
      `limits.${name} must be a positive integer`,
    );
  }
  return { cpus: limits.cpus, memoryBytes: limits.memory_bytes, pids: limits.pids };
}

module.exports = { checkJob, readJob, JobError };
