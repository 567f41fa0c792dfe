'use strict';
// Turns the hooks' event lines (fd 3 of the student's process) into the report's
// observations. fd 3 is writable by student code as well, so only lines carrying this run's
// token count, and a message only counts as having crossed when both ends saw it: the
// sending thread's postMessage and the receiving thread's delivery. That way a student who
// calls worker.emit('message') or parentPort.emit('message') by hand does not fake a
// crossing, and a message posted just before process.exit() that never arrives is not one.

const KINDS = new Set([
  'worker_created',
  'worker_started',
  'sent_to_worker',
  'received_from_main',
  'sent_to_main',
  'received_from_worker',
  'hooks_ready',
  'hooks_failed',
]);
// Longer lines are not ours (ours are under 200 bytes); skipping them bounds the memory a
// student can make the harness spend by flooding fd 3.
const MAX_LINE_BYTES = 512;
const MAX_COUNT_PER_LINE = 1000;

class EventTally {
  constructor(token) {
    this.token = token;
    this.totals = Object.fromEntries([...KINDS].map((kind) => [kind, 0]));
    this.pending = '';
    this.skippingLongLine = false;
    this.rejectedLines = 0;
  }

  /** Feed a chunk read from fd 3. */
  push(chunk) {
    let text = this.pending + chunk.toString('latin1');
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      const line = text.slice(0, newline);
      if (this.skippingLongLine) this.skippingLongLine = false;
      else this.acceptLine(line);
      text = text.slice(newline + 1);
      newline = text.indexOf('\n');
    }
    if (text.length > MAX_LINE_BYTES) {
      this.skippingLongLine = true;
      text = '';
    }
    this.pending = text;
  }

  acceptLine(line) {
    if (line.length > MAX_LINE_BYTES) {
      this.rejectedLines++;
      return;
    }
    let event;
    try {
      event = JSON.parse(line);
    } catch {
      this.rejectedLines++;
      return;
    }
    const valid =
      event !== null &&
      typeof event === 'object' &&
      event.t === this.token &&
      KINDS.has(event.k) &&
      Number.isInteger(event.n) &&
      event.n > 0 &&
      event.n <= MAX_COUNT_PER_LINE;
    if (!valid) {
      this.rejectedLines++;
      return;
    }
    this.totals[event.k] += event.n;
  }

  /** The report's `observations`. */
  observations() {
    const t = this.totals;
    return {
      workers_created: t.worker_created,
      workers_online: t.worker_started,
      messages_to_main: Math.min(t.sent_to_main, t.received_from_worker),
      messages_to_worker: Math.min(t.sent_to_worker, t.received_from_main),
    };
  }

  /**
   * Why the observations cannot be trusted, or null: the hooks never reported in from the
   * main thread (so even a zero means nothing), or failed to install in some thread.
   */
  observationFailure() {
    if (this.totals.hooks_failed > 0) return 'the observation hooks failed to install';
    if (this.totals.hooks_ready === 0) return 'the observation hooks did not report in';
    return null;
  }

  /** True once a message has crossed between threads in either direction. */
  messageCrossed() {
    const seen = this.observations();
    return seen.messages_to_main > 0 || seen.messages_to_worker > 0;
  }
}

module.exports = { EventTally };
