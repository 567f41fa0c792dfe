'use strict';
// Checks the entry file's syntax with `node --check` before anything runs, so a student who
// forgot a bracket gets "line 12, column 5: Unexpected token" instead of a stack trace, and
// the grader can tell "did not compile" from "crashed". Node itself parses (CJS or ESM,
// following the file's extension and package.json), so the check agrees with the real run.

const { execFile } = require('child_process');

const MAX_STDERR_BYTES = 64 * 1024;
// `/tmp/submission/main.js:3` or `file:///tmp/submission/main.mjs:3`.
const LOCATION_LINE = /^(?:file:\/\/)?\/.*:(\d+)\s*$/;

/**
 * Run `node --check entryPath`. Resolves to {ok, exitCode, stderr, syntaxError}; syntaxError
 * is {line, column, message} (line and column 1-based, null when Node did not say) or null.
 */
function checkSyntax(entryPath, { cwd, env, timeoutMs }) {
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

module.exports = { checkSyntax, parseSyntaxError };
