'use strict';
// Reads the container's own limits and OOM count from its cgroup, because inside the
// container only the kernel knows whether the student's process was OOM-killed (it just dies
// of SIGKILL) and how many CPUs the quota really grants (os.cpus() shows the host's).
// Handles cgroup v2 (unified, /sys/fs/cgroup/*.max) and v1 (one hierarchy per controller);
// anything unreadable is null, never an error: the report must still be written.
// The lab drivers also read CPU throttling (cpu.stat) from inside the student's process, so
// the functions they call are captured here, before any student code can replace them.

const fs = require('fs');
const path = require('path');

const readFileSync = fs.readFileSync;
const existsSync = fs.existsSync;

const DEFAULT_ROOT = '/sys/fs/cgroup';
// v1 reports "no limit" as a page-aligned LONG_MAX; anything this large is not a real limit.
const UNLIMITED_FLOOR = 2 ** 60;

function readText(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The integer after `key` in a "key value" per line file, or null. */
function readKeyedInteger(file, key) {
  const text = readText(file);
  if (text === null) return null;
  for (const line of text.split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name === key && /^\d+$/.test(value)) return Number(value);
  }
  return null;
}

function parseLimit(text) {
  if (text === null) return null;
  const value = text.trim();
  if (!/^\d+$/.test(value)) return null;
  const number = Number(value);
  return number >= UNLIMITED_FLOOR ? null : number;
}

function cpusFromQuota(quota, period) {
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) {
    return null;
  }
  return Math.round((quota / period) * 1000) / 1000;
}

function readV2(root) {
  const cpuMax = readText(path.join(root, 'cpu.max'));
  let cpus = null;
  if (cpuMax !== null) {
    const [quota, period] = cpuMax.trim().split(/\s+/);
    if (quota !== 'max') cpus = cpusFromQuota(Number(quota), Number(period));
  }
  return {
    oom_kills: readKeyedInteger(path.join(root, 'memory.events'), 'oom_kill'),
    cpu_quota_cpus: cpus,
    memory_limit_bytes: parseLimit(readText(path.join(root, 'memory.max'))),
  };
}

function readV1(root) {
  const quota = parseLimit(readText(path.join(root, 'cpu', 'cpu.cfs_quota_us')));
  const period = parseLimit(readText(path.join(root, 'cpu', 'cpu.cfs_period_us')));
  return {
    oom_kills: readKeyedInteger(path.join(root, 'memory', 'memory.oom_control'), 'oom_kill'),
    cpu_quota_cpus: quota === null ? null : cpusFromQuota(quota, period),
    memory_limit_bytes: parseLimit(readText(path.join(root, 'memory', 'memory.limit_in_bytes'))),
  };
}

/** The report's `cgroup` section for the container this runs in. */
function readCgroup(root = DEFAULT_ROOT) {
  return isUnified(root) ? readV2(root) : readV1(root);
}

/**
 * `cgroup` with the CPU quota and memory limit the grader gave in the job (`limits`, see
 * job.js), when it gave them: the cgroup inside may not show them (under runsc it is empty).
 * A grader that sends none leaves what the cgroup showed.
 */
function withJobLimits(cgroup, limits) {
  if (limits === null) return cgroup;
  return { ...cgroup, cpu_quota_cpus: limits.cpus, memory_limit_bytes: limits.memoryBytes };
}

function isUnified(root) {
  return existsSync(path.join(root, 'cgroup.controllers'));
}

/**
 * The container's CPU throttling counters so far: {periods, throttled_periods,
 * throttled_ms}, from cpu.stat (v1: nr_periods, nr_throttled, throttled_time in ns;
 * v2: the same names, throttled_usec in µs), or null when unreadable. They only grow, so a
 * measurement takes one reading before and one after and reports the difference.
 */
function readCpuStat(root = DEFAULT_ROOT) {
  const unified = isUnified(root);
  const file = unified ? path.join(root, 'cpu.stat') : path.join(root, 'cpu', 'cpu.stat');
  const periods = readKeyedInteger(file, 'nr_periods');
  const throttled = readKeyedInteger(file, 'nr_throttled');
  const throttledTime = unified
    ? readKeyedInteger(file, 'throttled_usec')
    : readKeyedInteger(file, 'throttled_time');
  if (periods === null || throttled === null || throttledTime === null) return null;
  const throttledMs = unified ? throttledTime / 1e3 : throttledTime / 1e6;
  return { periods, throttled_periods: throttled, throttled_ms: throttledMs };
}

/** What happened between two readCpuStat() readings, or null when either is missing. */
function cpuStatDelta(before, after) {
  if (before === null || after === null) return null;
  return {
    periods: Math.max(0, after.periods - before.periods),
    throttled_periods: Math.max(0, after.throttled_periods - before.throttled_periods),
    throttled_ms: Math.round(Math.max(0, after.throttled_ms - before.throttled_ms) * 10) / 10,
  };
}

module.exports = { readCgroup, readCpuStat, cpuStatDelta, withJobLimits };
