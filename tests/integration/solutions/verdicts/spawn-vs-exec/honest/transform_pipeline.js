// Style: stream.pipeline of child.stdout through a line-splitting Transform into a counting Writable.
const { spawn } = require('node:child_process');
const { Transform, Writable } = require('node:stream');
const { pipeline } = require('node:stream/promises');

class LineSplitter extends Transform {
  constructor() {
    super({ readableObjectMode: true });
    this.partial = '';
  }

  _transform(chunk, _encoding, done) {
    const lines = (this.partial + chunk.toString()).split('\n');
    this.partial = lines.pop();
    for (const line of lines) this.push(line);
    done();
  }

  _flush(done) {
    if (this.partial) this.push(this.partial);
    done();
  }
}

async function countErrors(command, args) {
  const child = spawn(command, args);
  let errors = 0;
  const counter = new Writable({
    objectMode: true,
    write(line, _encoding, done) {
      if (line.includes('ERROR')) errors += 1;
      done();
    },
  });
  await pipeline(child.stdout, new LineSplitter(), counter);
  return errors;
}

module.exports = { countErrors };
