// Attacks: the one writable place, /tmp. Fills it with data until the disk is full, then
// with empty files until no inode is left (a size limit alone does not count empty files,
// and each inode costs kernel memory). Both must end in ENOSPC at a bound the grader chose.
// Expected: `failed` (no worker), both fills stopped by ENOSPC.
const fs = require('fs');

const chunk = Buffer.alloc(1024 * 1024, 0x61);
let bytes = 0;
let bytesError = null;
const big = fs.openSync('/tmp/fill.bin', 'w');
try {
  for (;;) bytes += fs.writeSync(big, chunk);
} catch (error) {
  bytesError = error.code;
}
fs.closeSync(big);

fs.mkdirSync('/tmp/many');
let files = 0;
let filesError = null;
try {
  for (; files < 1000000; files++) fs.closeSync(fs.openSync(`/tmp/many/${files}`, 'w'));
} catch (error) {
  filesError = error.code;
}
console.log(JSON.stringify({ bytes, bytesError, files, filesError }));
