'use strict';
// Bounds of figures summarised over repetitions, some of them still to come, and
// three-valued comparisons of them: true, false, or null ("either": the bounds straddle the
// line, or nothing is measured yet). A lab's stopping rule (unblock-the-loop/stopping-rule.js)
// judges its checks with them.
//
// The medians are `spread`'s (harness/stats.js), rounded the same way. Code here may run in
// the student's process after the student's file loaded, so it uses no method a student
// could replace on a prototype: plain loops and indexing, and Math's functions captured at
// load.

const { max, min, round } = Math;
const INFINITY = Infinity;

/**
 * Bounds of the median (lab.js `spread`, rounded the same way) of `known` and up to
 * `missing` values still to come: all of them below everything, or all above. Any number of
 * them in between, or fewer of them (a time budget that ends the run early), lands within.
 * Null when nothing is known yet: the figure may not even exist.
 */
function medianBounds(known, missing, digits) {
  if (known.length === 0) return null;
  const low = padded(known, missing, -INFINITY);
  const high = padded(known, missing, INFINITY);
  return [roundTo(medianOf(low), digits), roundTo(medianOf(high), digits)];
}

function maximumBounds(known, missing, digits = 0) {
  if (known.length === 0) return null;
  let top = -INFINITY;
  for (let i = 0; i < known.length; i++) top = max(top, known[i]);
  return [roundTo(top, digits), missing > 0 ? INFINITY : roundTo(top, digits)];
}

function minimumBounds(known, missing, digits) {
  if (known.length === 0) return null;
  let bottom = INFINITY;
  for (let i = 0; i < known.length; i++) bottom = min(bottom, known[i]);
  return [missing > 0 ? -INFINITY : roundTo(bottom, digits), roundTo(bottom, digits)];
}

function padded(known, count, value) {
  const all = [];
  for (let i = 0; i < known.length; i++) all[all.length] = known[i];
  for (let i = 0; i < count; i++) all[all.length] = value;
  return sorted(all);
}

/** Ascending, by insertion (no Array.prototype.sort: see the header). */
function sorted(list) {
  for (let i = 1; i < list.length; i++) {
    const value = list[i];
    let j = i - 1;
    while (j >= 0 && list[j] > value) {
      list[j + 1] = list[j];
      j--;
    }
    list[j + 1] = value;
  }
  return list;
}

function medianOf(sortedValues) {
  const middle = (sortedValues.length / 2) | 0;
  if (sortedValues.length % 2 === 1) return sortedValues[middle];
  const a = sortedValues[middle - 1];
  const b = sortedValues[middle];
  // The mean of an infinite and a finite value is infinite: unbounded on that side.
  return (a + b) / 2;
}

function roundTo(value, digits) {
  if (value === INFINITY || value === -INFINITY) return value;
  const scale = 10 ** digits;
  return round(value * scale) / scale;
}

function above(bounds, line) {
  if (bounds === null) return null;
  if (bounds[0] > line) return true;
  if (bounds[1] <= line) return false;
  return null;
}

function below(bounds, line) {
  if (bounds === null) return null;
  if (bounds[1] < line) return true;
  if (bounds[0] >= line) return false;
  return null;
}

function atLeast(bounds, line) {
  const result = below(bounds, line);
  return result === null ? null : !result;
}

function atMost(bounds, line) {
  const result = above(bounds, line);
  return result === null ? null : !result;
}

/** a > b for bounds a and b: true, false or null. */
function exceeds(a, b) {
  if (a[0] > b[1]) return true;
  if (a[1] <= b[0]) return false;
  return null;
}

function or(a, b) {
  if (a === true || b === true) return true;
  if (a === false && b === false) return false;
  return null;
}

function and(a, b) {
  if (a === false || b === false) return false;
  if (a === true && b === true) return true;
  return null;
}

/** Outcomes of `condition ? whenTrue() : whenFalse()` when the condition may be either. */
function branch(condition, whenTrue, whenFalse) {
  if (condition === true) return whenTrue();
  if (condition === false) return whenFalse();
  return whenTrue() | whenFalse();
}

function scaled(bounds, factor, plus = 0) {
  return bounds === null ? null : [factor * bounds[0] + plus, factor * bounds[1] + plus];
}

module.exports = {
  above,
  and,
  atLeast,
  atMost,
  below,
  branch,
  exceeds,
  maximumBounds,
  medianBounds,
  minimumBounds,
  or,
  roundTo,
  scaled,
};
