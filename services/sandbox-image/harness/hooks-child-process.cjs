'use strict';
// Part of the preloaded hooks (hooks.cjs): counts which child_process functions the
// student's code calls, in every thread, so the spawn-vs-exec lab can tell "streamed with
// spawn" from "buffered with exec" by what ran, not by what the source text says.
//
// Each function is replaced on the module object by a wrapper with the same name and
// length that records one event and calls the original; hooks.cjs then calls
// syncBuiltinESMExports() so `import { spawn } from 'node:child_process'` sees it too. Node's
// own functions call each other (exec -> execFile, and util.promisify(exec) -> exec), so
// only the outermost call is counted: a student's exec is one exec, not an exec, an
// execFile and a spawn. exec and execFile keep their custom promisified form
// (util.promisify(exec) resolves to {stdout, stderr}), wrapped the same way.
//
// This file holds no token: it exports a function that hooks.cjs calls with its recorder.

const FUNCTIONS = ['spawn', 'exec', 'execFile', 'fork', 'spawnSync', 'execSync', 'execFileSync'];

/**
 * Wrap the functions of `childProcess` so that every outermost call runs
 * `record('cp_' + name)` first. `promisifyCustom` is util.promisify.custom.
 */
function patchChildProcess(childProcess, record, promisifyCustom) {
  const reflectApply = Reflect.apply;
  const defineProperty = Object.defineProperty;
  const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  let depth = 0;

  const counted = (original, kind) =>
    function () {
      if (depth === 0) record(kind);
      depth++;
      try {
        return reflectApply(original, this, arguments);
      } finally {
        depth--;
      }
    };

  for (const name of FUNCTIONS) {
    const original = childProcess[name];
    if (typeof original !== 'function') continue;
    const kind = `cp_${name}`;
    const wrapper = counted(original, kind);
    defineProperty(wrapper, 'name', { value: original.name, configurable: true });
    defineProperty(wrapper, 'length', { value: original.length, configurable: true });
    const custom = getOwnPropertyDescriptor(original, promisifyCustom);
    if (custom !== undefined && typeof custom.value === 'function') {
      defineProperty(wrapper, promisifyCustom, { ...custom, value: counted(custom.value, kind) });
    }
    childProcess[name] = wrapper;
  }
}

module.exports = { patchChildProcess };
