'use strict';
// A lab driver's settings from the lab's check_config. Course content is trusted less than
// code: each setting must be an integer and is held within the lab's bounds, and anything
// missing or malformed falls back to the lab's default.

function clampSettings(checkConfig, defaults, bounds) {
  const chosen = {};
  for (const [name, fallback] of Object.entries(defaults)) {
    const value = checkConfig[name];
    const [low, high] = bounds[name];
    chosen[name] = Number.isInteger(value) ? Math.min(high, Math.max(low, value)) : fallback;
  }
  return chosen;
}

module.exports = { clampSettings };
