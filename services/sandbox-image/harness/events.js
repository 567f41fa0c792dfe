'use strict';
// Turns the hooks' event lines (fd 3 of the student's process) into the report's
// observations. fd 3 is writable by student code as well, so only lines carrying this run's
// token count, and a message only counts as having crossed when both ends saw it: the
// sending thread's postMessage and the receiving thread's delivery. That way a student who
// calls worker.emit('message') or parentPort.emit('message') by hand does not fake a
// crossing, and a message posted just before process.exit() that never arrives is not one.
//
// Two shapes of line: counts, {"t", "k", "n"}, and measurements, {"t", "k", "v"} where v is
// a flat object of numbers, booleans, short strings or null (the hooks' event-loop delay,
// a lab driver's timed runs and facts).

// Count kinds, and the child_process function each `cp_*` kind counts.
const CHILD_PROCESS_KINDS = Object.freeze({
  cp_spawn: 'spawn',
  cp_exec: 'exec',
  cp_execFile: 'execFile',
  cp_fork: 'fork',
  cp_spawnSync: 'spawnSync',
  cp_execSync: 'execSync',
  cp_execFileSync: 'execFileSync',
});
const KINDS = new Set([
  'worker_created',
  'worker_started',
  'sent_to_worker',
  'received_from_main',
  'sent_to_main',
  'unsent_to_main',
  'received_from_worker',
  'hooks_ready',
  'hooks_failed',
  ...Object.keys(CHILD_PROCESS_KINDS),
]);
// Measurement kinds: the latest value wins (loop_delay), values are merged (lab_fact), or
// values are kept in order, up to a cap (lab_run).
const LATEST_VALUE_KINDS = new Set(['loop_delay']);
const MERGED_VALUE_KINDS = new Set(['lab_fact']);
const LISTED_VALUE_KINDS = new Set(['lab_run']);
const MAX_LISTED_VALUES = 64;
const MAX_MERGED_KEYS = 32;
const MAX_VALUE_KEYS = 24;
const MAX_STRING_VALUE = 300;
const VALUE_KEY = /^[a-z][a-z0-9_]{0,39}$/;
// Longer lines are not ours (counts are under 200 bytes, measurements under 1 KiB);
// skipping them bounds the memory a student can make the harness spend by flooding fd 3.
const MAX_LINE_BYTES = 2048;
const MAX_COUNT_PER_LINE = 1000;

class EventTally {
  constructor(token) {
    this.token = token;
    this.totals = Object.fromEntries([...KINDS].map((kind) => [kind, 0]));
    this.pending = '';
    this.skippingLongLine = false;
    this.rejectedLines = 0;
    this.latest = Object.create(null);
    this.merged = Object.create(null);
    this.listed = Object.create(null);
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
    const ours = event !== null && typeof event === 'object' && event.t === this.token;
    if (ours && 'v' in event) {
      if (!this.acceptValue(event.k, event.v)) this.rejectedLines++;
      return;
    }
    const valid =
      ours &&
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

  /** Keep a measurement line's value; false when it is not one we know. */
  acceptValue(kind, value) {
    if (!isFlatValue(value)) return false;
    if (LATEST_VALUE_KINDS.has(kind)) {
      this.latest[kind] = value;
    } else if (MERGED_VALUE_KINDS.has(kind)) {
      const merged = (this.merged[kind] ??= {});
      for (const [key, item] of Object.entries(value)) {
        if (key in merged || Object.keys(merged).length < MAX_MERGED_KEYS) merged[key] = item;
      }
    } else if (LISTED_VALUE_KINDS.has(kind)) {
      const list = (this.listed[kind] ??= []);
      if (list.length >= MAX_LISTED_VALUES) return false;
      list.push(value);
    } else {
      return false;
    }
    return true;
  }

  /** The latest value of a `latest` kind (e.g. loop_delay), or null. */
  latestValue(kind) {
    return this.latest[kind] ?? null;
  }

  /** The merged facts of a `merged` kind (e.g. lab_fact); {} when none arrived. */
  mergedValues(kind) {
    return { ...(this.merged[kind] ?? {}) };
  }

  /** The values of a `listed` kind (e.g. lab_run), in arrival order. */
  listedValues(kind) {
    return [...(this.listed[kind] ?? [])];
  }

  /** The report's `observations`. */
  observations() {
    const t = this.totals;
    return {
      workers_created: t.worker_created,
      workers_online: t.worker_started,
      // A worker counts a message to main before sending it, and takes back one that threw.
      messages_to_main: Math.min(t.sent_to_main - t.unsent_to_main, t.received_from_worker),
      messages_to_worker: Math.min(t.sent_to_worker, t.received_from_main),
    };
  }

  /** The report's `child_process_calls`: how often each child_process function was called. */
  childProcessCalls() {
    return Object.fromEntries(
      Object.entries(CHILD_PROCESS_KINDS).map(([kind, name]) => [name, this.totals[kind]]),
    );
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

/** A measurement value: a plain object of a few named numbers, booleans, short strings, null. */
function isFlatValue(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  if (entries.length > MAX_VALUE_KEYS) return false;
  return entries.every(([key, item]) => {
    if (!VALUE_KEY.test(key)) return false;
    if (item === null || typeof item === 'boolean') return true;
    if (typeof item === 'number') return Number.isFinite(item);
    return typeof item === 'string' && item.length <= MAX_STRING_VALUE;
  });
}

module.exports = { EventTally, CHILD_PROCESS_KINDS };
