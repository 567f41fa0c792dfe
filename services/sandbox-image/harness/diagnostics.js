'use strict';
// Reads the student's stderr for the two things the grader cannot learn from an exit code:
// which uncaught error ended the program (A.D.A. quotes it back to the student), and whether
// V8 gave up on its own heap. V8's out-of-memory is an abort, not a kernel OOM kill, so the
// cgroup never counts it, yet for the student it is the same "your program used too much
// memory".

// An error's first line as Node prints it: `TypeError: x is not a function`,
// `Error [ERR_WORKER_INIT_FAILED]: ...`, `DOMException [DataCloneError]: ...`, or a bare `Error`.
const ERROR_LINE =
  /^(?:Uncaught )?(?:[A-Za-z_$][\w$]*)?(?:Error|Exception)(?: \[[\w.-]+\])?(?::.*)?$/;
// The line under the offending source line in Node's uncaught-exception report.
const CARET_LINE = /^\s*\^+\s*$/;
const FATAL_LINE = /^FATAL ERROR: /;
const HEAP_OUT_OF_MEMORY = 'JavaScript heap out of memory';

/**
 * The first stderr line that names an uncaught error, or null. Node prints the uncaught one
 * after the source excerpt and its caret; a line logged earlier by the program itself
 * (console.error(err)) is only taken when no such report exists.
 */
function findErrorLine(stderr) {
  const lines = stderr.split(/\r?\n/).map((line) => line.trimEnd());
  const caret = lines.findIndex((line) => CARET_LINE.test(line));
  const afterCaret = caret === -1 ? undefined : lines.slice(caret + 1).find(isErrorLine);
  const found = afterCaret ?? lines.find(isErrorLine) ?? lines.find((l) => FATAL_LINE.test(l));
  return found === undefined ? null : found.slice(0, 500);
}

function isErrorLine(line) {
  return ERROR_LINE.test(line);
}

/** True when V8 aborted the program because its JavaScript heap was full. */
function heapOutOfMemory(stderr) {
  return stderr.includes(HEAP_OUT_OF_MEMORY);
}

module.exports = { findErrorLine, heapOutOfMemory };
