'use strict';
// Repeated measurements, summarised the way the report carries them: the median (robust to
// one disturbed run) and the spread as min and max, so a reader sees how stable it was.

/** {median, min, max} of finite `values` rounded to `digits` decimals, or null when none. */
function spread(values, digits = 1) {
  const finite = values.filter((value) => typeof value === 'number' && Number.isFinite(value));
  if (finite.length === 0) return null;
  const sorted = [...finite].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return {
    median: roundTo(median, digits),
    min: roundTo(sorted[0], digits),
    max: roundTo(sorted[sorted.length - 1], digits),
  };
}

function roundTo(value, digits) {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

module.exports = { spread, roundTo };
