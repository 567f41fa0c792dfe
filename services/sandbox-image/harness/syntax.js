'use strict';
// Checks the entry file's syntax with `node --check` before anything runs, so a student who
// forgot a bracket gets "line 12, column 5: Unexpected token" instead of a stack trace, and
// the grader can tell "did not compile" from "crashed". Node itself parses (CJS or ESM,
// following the file's extension and package.json), so the check agrees with the real run.
//
// `node --check` is a second Node start, the sandbox's dearest step after the program itself
// (about 0.2 s of CPU on the image's Node, which has no startup snapshot, under a 1-CPU
// quota). Most entries are CommonJS files that compile: for them the harness compiles the
// source here exactly as Node's CommonJS loader will (vm.compileFunction with the module
// wrapper's parameters, which runs nothing) and skips the second start. Only a file Node
// surely loads as CommonJS takes that path (`.cjs`, or `.js` with no package.json above it
// to make it a module), and only a success is trusted: whatever fails to compile here, and
// every ES module, goes to `node --check`, whose verdict and message are the report's.

const { execFile } = require('child_process');
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const MAX_STDERR_BYTES = 64 * 1024;
// `/tmp/submission/main.js:3` or `file:///tmp/submission/main.mjs:3`.
const LOCATION_LINE = /^(?:file:\/\/)?\/.*:(\d+)\s*$/;
// The parameters of Node's CommonJS module wrapper (its loader compiles a file with these).
const COMMONJS_WRAPPER_PARAMS = Object.freeze([
  'exports',
  'require',
  'module',
  '__filename',
  '__dirname',
]);
const PASSED = Object.freeze({ ok: true, exitCode: 0, stderr: '', syntaxError: null });

/**
 * Check `entryPath` as `node --check` would (without starting it for a CommonJS entry that
 * compiles). Resolves to {ok, exitCode, stderr, syntaxError}; syntaxError
 * is {line, column, message} (line and column 1-based, null when Node did not say) or null.
 */
function checkSyntax(entryPath, { cwd, env, timeoutMs }) {
  if (compilesAsCommonJs(entryPath)) return Promise.resolve({ ...PASSED });
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--check', entryPath],
      {
        cwd,
        env,
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_STDERR_BYTES,
        encoding: 'buffer',
      },
      (error, _stdout, stderrBytes) => {
        const stderr = Buffer.isBuffer(stderrBytes) ? stderrBytes.toString('utf8') : '';
        if (!error) {
          resolve({ ok: true, exitCode: 0, stderr, syntaxError: null });
          return;
        }
        const exitCode = typeof error.code === 'number' ? error.code : null;
        resolve({ ok: false, exitCode, stderr, syntaxError: parseSyntaxError(stderr) });
      },
    );
  });
}

/**
 * True when Node will load `entryPath` as CommonJS and it compiles as such, so `node --check`
 * would pass it too. False means "ask node --check", never "it does not compile".
 */
function compilesAsCommonJs(entryPath) {
  const extension = path.extname(entryPath);
  if (extension !== '.cjs' && !(extension === '.js' && !packageJsonAbove(entryPath))) {
    return false;
  }
  let source;
  try {
    source = fs.readFileSync(entryPath, 'utf8');
  } catch {
    return false;
  }
  try {
    vm.compileFunction(source, COMMONJS_WRAPPER_PARAMS, { filename: entryPath });
    return true;
  } catch {
    return false;
  }
}

/**
 * True when a package.json lies in the entry's folder or any above it: its "type" could make
 * a `.js` file an ES module (and on Node 20.19+/22 a `.js` file without one is one when it
 * does not compile as CommonJS, which compilesAsCommonJs leaves to node --check anyway).
 */
function packageJsonAbove(entryPath) {
  let dir = path.dirname(entryPath);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return true;
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

/**
 * Parse Node's syntax error report:
 *
 *     (node:7) Warning: ...              <- warnings may come first
 *     /tmp/submission/main.js:3          <- where (may be a file:// URL)
 *       foo(;                            <- the source line
 *           ^                            <- the caret, under the offending column
 *                                        <- blank
 *     SyntaxError: Unexpected token ';'
 *
 * Returns null when stderr holds no SyntaxError (the check failed for another reason, e.g.
 * a missing file, which the real run then reports as an ordinary error).
 */
function parseSyntaxError(stderr) {
  const lines = stderr.split(/\r?\n/);
  const messageIndex = lines.findIndex((line) => /^SyntaxError\b/.test(line));
  if (messageIndex === -1) return null;
  const whereIndex = lines.findIndex(
    (line, index) => index < messageIndex && LOCATION_LINE.test(line),
  );
  const line = whereIndex === -1 ? null : Number(LOCATION_LINE.exec(lines[whereIndex])[1]);
  const caretLine = lines
    .slice(whereIndex + 1, messageIndex)
    .find((candidate) => /^\s*\^/.test(candidate));
  return {
    line,
    column: caretLine === undefined ? null : caretLine.indexOf('^') + 1,
    message: lines[messageIndex].trim(),
  };
}

module.exports = { checkSyntax, compilesAsCommonJs, parseSyntaxError };
