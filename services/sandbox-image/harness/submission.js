'use strict';
// Copies the student's files from /work/submission (root-owned, read-only to us, so the
// grader's copy stays pristine) to /tmp/submission, where the program runs as it would in a
// student's own folder: it may write next to its files, and relative paths resolve there.
// Only regular files and folders are copied; a symlink could point anywhere in the image.
// The grader streams the files instead (job_input.js): writeSubmission lays them out there.

const fs = require('fs');
const path = require('path');

/** Copy the tree at `source` into `target` (created); returns the number of files copied. */
function copySubmission(source, target) {
  fs.mkdirSync(target, { recursive: true, mode: 0o755 });
  let files = 0;
  for (const entry of fs.readdirSync(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    if (entry.isDirectory()) {
      files += copySubmission(from, to);
    } else if (entry.isFile()) {
      fs.copyFileSync(from, to);
      fs.chmodSync(to, 0o644);
      files += 1;
    }
  }
  return files;
}

/**
 * Write `files` ({relative path: text}, as the grader streamed them) into `target` (created);
 * returns the number of files. A path that leaves `target` is the grader's fault: refused.
 */
function writeSubmission(files, target) {
  fs.mkdirSync(target, { recursive: true, mode: 0o755 });
  let count = 0;
  for (const [name, text] of Object.entries(files)) {
    const relative = path.posix.normalize(name);
    if (
      typeof text !== 'string' ||
      relative === '.' ||
      path.posix.isAbsolute(relative) ||
      relative.startsWith('..')
    ) {
      throw new Error(`submission file ${JSON.stringify(name)} is not a text inside the submission`);
    }
    const to = path.join(target, relative);
    fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o755 });
    fs.writeFileSync(to, text, { mode: 0o644 });
    count += 1;
  }
  return count;
}

module.exports = { copySubmission, writeSubmission };
