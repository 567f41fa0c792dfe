'use strict';
// Where the grader's job and the student's files come from. The grader streams them on the
// container's stdin, one JSON document {"job": {...}, "files": {"main.js": "..."}}, cheaper
// than copying them into a volume before the start (no host path is shared, so it works with
// a remote Engine too). The harness reads it to its end before any student code runs, and the
// student's processes get no stdin of ours; only the files are written, to /tmp/submission.
// With nothing on stdin (a plain `docker run` with /work mounted, as the sandbox tests and
// the grading bench's baseline run it), the job and the files are read from /work as before.

const fs = require('fs');
const path = require('path');

const { JobError, checkJob, readJob } = require('./job');
const { copySubmission, writeSubmission } = require('./submission');

/** The checked job; the student's files are in `target` when it returns. */
function takeJobInput(workDir, target) {
  const streamed = fs.readFileSync(0);
  if (streamed.length === 0) {
    const job = readJob(path.join(workDir, 'job.json'));
    copySubmission(path.join(workDir, 'submission'), target);
    return job;
  }
  let input;
  try {
    input = JSON.parse(streamed.toString('utf8'));
  } catch (error) {
    throw new JobError(`cannot read the job on stdin: ${error.message}`);
  }
  if (input === null || typeof input !== 'object' || typeof input.files !== 'object') {
    throw new JobError('the job on stdin has no job or no files');
  }
  const job = checkJob(input.job);
  writeSubmission(input.files, target);
  return job;
}

module.exports = { takeJobInput };
