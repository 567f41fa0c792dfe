'use strict';
// Keeps what the student printed within a fixed budget: the head and the tail of the byte
// stream, the total count, and nothing in between. A program that prints gigabytes must not
// cost the harness gigabytes, and the report must stay small enough for the grader to accept;
// the head shows how the program started and the tail how it ended, which is what feedback
// needs. Bytes are kept raw and decoded once at the end, so that a multi-byte character split
// across chunks is decoded whole and invalid UTF-8 turns into U+FFFD instead of an exception.

const HEAD_BYTES = 8 * 1024;
const TAIL_BYTES = 8 * 1024;

class HeadTailCapture {
  constructor(headBytes = HEAD_BYTES, tailBytes = TAIL_BYTES) {
    this.headLimit = headBytes;
    this.tailLimit = tailBytes;
    this.head = Buffer.alloc(0);
    this.tail = Buffer.alloc(0);
    this.bytesTotal = 0;
  }

  /** Append one chunk, in arrival order. */
  push(chunk) {
    this.bytesTotal += chunk.length;
    let rest = chunk;
    if (this.head.length < this.headLimit) {
      const take = Math.min(this.headLimit - this.head.length, rest.length);
      this.head = Buffer.concat([this.head, rest.subarray(0, take)]);
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    if (rest.length >= this.tailLimit) {
      this.tail = Buffer.from(rest.subarray(rest.length - this.tailLimit));
    } else {
      const joined = Buffer.concat([this.tail, rest]);
      this.tail = joined.subarray(Math.max(0, joined.length - this.tailLimit));
    }
  }

  /** The text for the report: {text, truncated, bytes_total}. */
  snapshot() {
    const kept = this.head.length + this.tail.length;
    if (this.bytesTotal <= kept) {
      return {
        text: Buffer.concat([this.head, this.tail]).toString('utf8'),
        truncated: false,
        bytes_total: this.bytesTotal,
      };
    }
    // Cut at character boundaries so the marker does not sit between the halves of a
    // character (which would show two replacement characters for one real one).
    const head = this.head.subarray(0, completeUtf8Length(this.head));
    const tail = this.tail.subarray(leadingContinuationBytes(this.tail));
    const elided = this.bytesTotal - head.length - tail.length;
    return {
      text: `${head.toString('utf8')}\n… [${elided} bytes elided] …\n${tail.toString('utf8')}`,
      truncated: true,
      bytes_total: this.bytesTotal,
    };
  }
}

/** Length of `bytes` without a trailing, incomplete UTF-8 sequence. */
function completeUtf8Length(bytes) {
  const end = bytes.length;
  for (let back = 1; back <= 3 && back <= end; back++) {
    const byte = bytes[end - back];
    if ((byte & 0xc0) === 0x80) continue;
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? end - back : end;
  }
  return end;
}

/** How many UTF-8 continuation bytes (at most 3) start `bytes`. */
function leadingContinuationBytes(bytes) {
  let count = 0;
  while (count < 3 && count < bytes.length && (bytes[count] & 0xc0) === 0x80) count++;
  return count;
}

module.exports = { HeadTailCapture, HEAD_BYTES, TAIL_BYTES };
