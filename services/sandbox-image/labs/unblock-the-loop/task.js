'use strict';
// The heavy task of the lab "Unblock the loop" (see README.md). The grader puts this file
// next to yours as `task.js`; load it with require('./task.js') or
// `import { crunch, combine } from './task.js'`. Do not change it: the grader's own copy
// is the one it checks your answers against.
//
// A job is a seed and a number of items. Every item costs the same CPU time, so a job
// splits evenly: crunch the items in parts, in any threads, and combine the parts.

const ROUNDS_PER_ITEM = 2000;

/** The checksum of one item: 2000 rounds of integer mixing, no shortcut. */
function crunchItem(seed, index) {
  let x = (seed ^ Math.imul(index + 1, 0x9e3779b1)) | 0;
  for (let round = 0; round < ROUNDS_PER_ITEM; round++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x = Math.imul(x, 0x85ebca6b) | 0;
  }
  return x >>> 0;
}

/**
 * The checksum of `count` items of the job `seed`, from item `start` (items start..start+count-1).
 * Pure and synchronous: it keeps the thread that calls it busy until it returns.
 * A 32-bit unsigned integer.
 */
function crunch(seed, start, count) {
  let sum = 0;
  for (let index = start; index < start + count; index++) {
    sum = (sum + crunchItem(seed, index)) >>> 0;
  }
  return sum;
}

/**
 * Combine the checksums of two disjoint parts of a job into the checksum of both: in any
 * order and any grouping, so combine(crunch(s, 0, a), crunch(s, a, b)) === crunch(s, 0, a + b).
 */
function combine(a, b) {
  return (a + b) >>> 0;
}

module.exports = { crunch, combine };
