'use strict';
// Part of the preloaded hooks (hooks.cjs): counts which child_process functions the
// student's code calls, in every thread, so the spawn-vs-exec lab can tell "streamed with
// spawn" from "buffered with exec" by what ran, not by what the source text says; and, in
// the main thread, how much of a watched command's stdout reached the student's code.
//
// Each function is replaced on the module object by a wrapper with the same name and
// length that records one event and calls the original; hooks.cjs then calls
// syncBuiltinESMExports() so `import { spawn } from 'node:child_process'` sees it too. Node's
// own functions call each other (exec -> execFile, and util.promisify(exec) -> exec), so
// only the outermost call is counted: a student's exec is one exec, not an exec, an
// execFile and a spawn. exec and execFile keep their custom promisified form
// (util.promisify(exec) resolves to {stdout, stderr}), wrapped the same way.
//
// The command watch (createCommandWatch): a lab driver names the command it hands the
// student (file and args). When an outermost spawn, execFile or exec starts exactly that
// command, its ChildProcess's stdout gets own, non-enumerable `emit` and `read` that count
// the bytes handed to the student's code: a 'data' event some listener receives (readline,
// pipe, on('data')) or a chunk that a read() of the student's returns (for await, 'readable').
// Bytes a stream discards (resume() with no listener, or never read) are not counted, and
// no listener of ours is added, so the stream behaves exactly as it does without us. When
// such a stdout emits 'end', the driver's callback runs first, before the student's
// listeners: the moment a reader that keeps the whole output still holds all of it.
//
// This file holds no token: it exports functions that hooks.cjs calls with its recorder.

const FUNCTIONS = ['spawn', 'exec', 'execFile', 'fork', 'spawnSync', 'execSync', 'execFileSync'];
// The calls whose ChildProcess may be the watched command, by how they name it.
const WATCHED_CALLS = { spawn: 'file_args', execFile: 'file_args', exec: 'command_line' };
const MAX_FILE_NAME = 60;

/**
 * Wrap the functions of `childProcess` so that every outermost call runs
 * `record('cp_' + name)` first. `promisifyCustom` is util.promisify.custom; `watch` (or
 * null) is a createCommandWatch() that sees each outermost spawn, execFile and exec.
 */
function patchChildProcess(childProcess, record, promisifyCustom, watch = null) {
  const reflectApply = Reflect.apply;
  const defineProperty = Object.defineProperty;
  const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  let depth = 0;

  const counted = (original, kind, naming, promised = false) =>
    function () {
      const outermost = depth === 0;
      if (outermost) record(kind);
      depth++;
      let result;
      try {
        result = reflectApply(original, this, arguments);
      } finally {
        depth--;
      }
      if (outermost && watch !== null && naming !== undefined) {
        try {
          // The promisified forms return a promise with a `child` property.
          watch.started(naming, arguments, promised ? result && result.child : result);
        } catch {
          // A prototype the student replaced broke our bookkeeping: their call still returns.
        }
      }
      return result;
    };

  for (const name of FUNCTIONS) {
    const original = childProcess[name];
    if (typeof original !== 'function') continue;
    const kind = `cp_${name}`;
    const wrapper = counted(original, kind, WATCHED_CALLS[name]);
    defineProperty(wrapper, 'name', { value: original.name, configurable: true });
    defineProperty(wrapper, 'length', { value: original.length, configurable: true });
    const custom = getOwnPropertyDescriptor(original, promisifyCustom);
    if (custom !== undefined && typeof custom.value === 'function') {
      const promised = counted(custom.value, kind, WATCHED_CALLS[name], true);
      defineProperty(wrapper, promisifyCustom, { ...custom, value: promised });
    }
    childProcess[name] = wrapper;
  }
}

/**
 * The main thread's watch over one command: {watch(file, args, onOutputEnd), counts(),
 * started(how, callArguments, result)}. counts() is {command_spawns, command_bytes_read,
 * other_spawns, other_file}: how often the command was started, how many bytes of its
 * stdout the student's code received, and how many other processes were started (the last
 * one's program name, e.g. "sh").
 */
function createCommandWatch(EventEmitter) {
  const reflectApply = Reflect.apply;
  const defineProperty = Object.defineProperty;
  const isArray = Array.isArray;
  const listenerCount = EventEmitter.prototype.listenerCount;
  const counts = { command_spawns: 0, command_bytes_read: 0, other_spawns: 0, other_file: null };
  let expected = null;

  const chunkBytes = (chunk) => {
    if (typeof chunk === 'string') return chunk.length; // the log is ASCII
    return chunk !== null && typeof chunk === 'object' && typeof chunk.byteLength === 'number'
      ? chunk.byteLength
      : 0;
  };

  const isCommand = (how, args) => {
    if (how === 'command_line') return args[0] === expected.commandLine;
    const given = args[1];
    if (args[0] !== expected.file || !isArray(given) || given.length !== expected.args.length) {
      return false;
    }
    for (let i = 0; i < given.length; i++) if (given[i] !== expected.args[i]) return false;
    return true;
  };

  const programName = (how, args) => {
    const first = typeof args[0] === 'string' ? args[0] : String(typeof args[0]);
    const program = how === 'command_line' ? first.trim().split(/\s+/)[0] : first;
    return program.split('/').pop().slice(0, MAX_FILE_NAME);
  };

  const observe = (stream) => {
    if (stream === null || typeof stream !== 'object' || typeof stream.emit !== 'function') return;
    const emitOriginal = stream.emit;
    const readOriginal = stream.read;
    defineProperty(stream, 'emit', {
      value: function emit(event, chunk) {
        if (event === 'data' && reflectApply(listenerCount, this, ['data']) > 0) {
          counts.command_bytes_read += chunkBytes(chunk);
        } else if (event === 'end' && expected.onOutputEnd !== null) {
          try {
            expected.onOutputEnd();
          } catch {
            // The driver's sample failed: the measurement is lost, the stream goes on.
          }
        }
        return reflectApply(emitOriginal, this, arguments);
      },
      writable: true,
      enumerable: false,
      configurable: true,
    });
    if (typeof readOriginal !== 'function') return;
    defineProperty(stream, 'read', {
      value: function read(size) {
        const chunk = reflectApply(readOriginal, this, arguments);
        // In flowing mode Node's own flow() calls read() and hands the chunk to the 'data'
        // listeners (counted in emit); a chunk nobody listens for is discarded, not read.
        const pulled =
          this.readableFlowing !== true && reflectApply(listenerCount, this, ['data']) === 0;
        if (chunk !== null && pulled) counts.command_bytes_read += chunkBytes(chunk);
        return chunk;
      },
      writable: true,
      enumerable: false,
      configurable: true,
    });
  };

  return {
    /** Watch `file` started with exactly `args`; `onOutputEnd` runs when its stdout ends. */
    watch(file, args, onOutputEnd = null) {
      expected = {
        file,
        args: [...args],
        commandLine: [file, ...args].join(' '),
        onOutputEnd: typeof onOutputEnd === 'function' ? onOutputEnd : null,
      };
    },
    counts() {
      return { ...counts };
    },
    /** An outermost spawn, execFile or exec (named `how`) started `child`. */
    started(how, callArguments, child) {
      if (expected === null || child === null || typeof child !== 'object') return;
      if (isCommand(how, callArguments)) {
        counts.command_spawns++;
        observe(child.stdout);
      } else {
        counts.other_spawns++;
        counts.other_file = programName(how, callArguments);
      }
    },
  };
}

module.exports = { createCommandWatch, patchChildProcess };
