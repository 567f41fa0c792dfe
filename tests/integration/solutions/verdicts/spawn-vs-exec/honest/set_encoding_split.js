// Style: child.stdout.setEncoding('utf8'), then split each string chunk, carrying the last piece.
const childProcess = require('node:child_process');

module.exports.countErrors = (command, args) =>
  new Promise((resolve, reject) => {
    const child = childProcess.spawn(command, args);
    child.stdout.setEncoding('utf8');
    let carry = '';
    let found = 0;
    child.stdout.on('data', (text) => {
      const pieces = (carry + text).split('\n');
      carry = pieces.pop();
      found += pieces.filter((line) => line.includes('ERROR')).length;
    });
    child.once('error', reject);
    child.once('exit', () => {});
    child.stdout.once('close', () => resolve(found + (carry.includes('ERROR') ? 1 : 0)));
  });
