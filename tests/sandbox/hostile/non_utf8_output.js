// Attacks: every consumer of the output (the grader's JSON, the database, the browser, a
// terminal): prints bytes that are not UTF-8 (a lone continuation byte, an overlong
// encoding, an encoded UTF-16 surrogate, a truncated sequence), NUL bytes, and terminal
// escape sequences, on stdout and stderr.
// Expected: `failed` (no worker); the output is text that every consumer can store and show.
process.stdout.write(Buffer.from([0x62, 0x65, 0x66, 0x6f, 0x72, 0x65, 0x0a])); // "before\n"
process.stdout.write(Buffer.from([0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xff, 0xfe, 0x0a]));
process.stdout.write(Buffer.from([0x6e, 0x75, 0x6c, 0x00, 0x00, 0x0a])); // "nul" NUL NUL
process.stderr.write('\u001b[2J\u001b]0;owned\u0007\u001b[31mred\u001b[0m\n');
process.stdout.write(Buffer.from([0x61, 0x66, 0x74, 0x65, 0x72, 0xe2, 0x82])); // "after" + cut
