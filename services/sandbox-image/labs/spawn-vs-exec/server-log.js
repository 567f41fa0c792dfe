'use strict';
// The command of the lab "Spawn vs exec" (README.md): a web server's access log, several
// MiB of it, printed to stdout as fast as the reader takes it.
//
//   node /opt/labs/spawn-vs-exec/server-log.js --seed 1234 --mib 16
//
// The log is a pure function of the seed and the size, so the grader knows how many of
// its lines contain "ERROR" without running it (describeLog). Lines look like
//   2024-05-14T09:31:07.412Z INFO  GET /api/orders/8812 200 31ms
//   2024-05-14T09:31:07.415Z ERROR POST /api/cart/17 500 1203ms

const CHUNK_CHARS = 64 * 1024;
const LEVELS = ['INFO ', 'INFO ', 'INFO ', 'DEBUG', 'INFO ', 'WARN ', 'INFO ', 'INFO '];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const PATHS = ['/api/orders/', '/api/cart/', '/api/users/', '/static/app.', '/api/search?q='];
const ERROR_EVERY = 61; // about one line in 61 is an error

/**
 * Yield the log of `seed` in chunks of about 64 KiB, `totalBytes` in all (whole lines only,
 * so a little less). Every line is ASCII: characters are bytes.
 *
 * Every number of a line comes from a table made once, and a line's timestamp up to its
 * seconds is made once per second of log time (about 170 lines): the command runs in a
 * fresh process for each call, where formatting numbers took most of its time.
 */
function* generateLog(seed, totalBytes) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  let time = (seed % 3600) * 1000; // milliseconds after 2024-05-14T09:00:00Z
  let second = -1;
  let prefix = '';
  let written = 0;
  for (;;) {
    let chunk = '';
    while (chunk.length < CHUNK_CHARS) {
      const r = next();
      time += r % 7;
      if (Math.floor(time / 1000) !== second) {
        second = Math.floor(time / 1000);
        prefix = secondPrefix(time);
      }
      const error = r % ERROR_EVERY === 0;
      const level = error ? 'ERROR' : LEVELS[(r >>> 8) % LEVELS.length];
      const status = error ? '500' : STATUSES[(r >>> 12) % 3];
      const line =
        prefix + MILLISECONDS[time % 1000] + level + ' ' + METHODS[(r >>> 4) % METHODS.length] +
        ' ' + PATHS[(r >>> 16) % PATHS.length] + IDS[r % 10007] + ' ' + status + ' ' +
        DURATIONS[(r >>> 20) % 1500];
      if (written + chunk.length + line.length > totalBytes) {
        if (chunk.length > 0) yield chunk;
        return;
      }
      chunk += line;
    }
    written += chunk.length;
    yield chunk;
  }
}

const STATUSES = ['200', '300', '400'];
const MILLISECONDS = numbers(1000, (n) => `${pad(n, 3)}Z `);
const IDS = numbers(10007, String);
const DURATIONS = numbers(1500, (n) => `${n}ms\n`);

function numbers(count, format) {
  const texts = [];
  for (let n = 0; n < count; n++) texts.push(format(n));
  return texts;
}

/** "2024-05-14THH:MM:SS." for `ms` after 09:00:00Z (hours wrap at 24: the log is one day's). */
function secondPrefix(ms) {
  const hours = (9 + Math.floor(ms / 3600000)) % 24;
  const minutes = Math.floor(ms / 60000) % 60;
  const seconds = Math.floor(ms / 1000) % 60;
  return `2024-05-14T${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.`;
}

function pad(number, width) {
  return String(number).padStart(width, '0');
}

/** {error_lines, bytes}: how many lines of the log contain "ERROR", and its exact size. */
function describeLog(seed, totalBytes) {
  let errorLines = 0;
  let bytes = 0;
  for (const chunk of generateLog(seed, totalBytes)) {
    bytes += chunk.length;
    for (let at = chunk.indexOf('ERROR'); at !== -1; at = chunk.indexOf('ERROR', at + 5)) {
      errorLines++;
    }
  }
  return { error_lines: errorLines, bytes };
}

/** Print the log to stdout, waiting for the reader whenever the pipe is full. */
function printLog(seed, totalBytes) {
  const chunks = generateLog(seed, totalBytes);
  const pump = () => {
    for (let next = chunks.next(); !next.done; next = chunks.next()) {
      if (!process.stdout.write(next.value)) {
        process.stdout.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

function option(argv, name, fallback) {
  const at = argv.indexOf(name);
  const value = at === -1 ? NaN : Number(argv[at + 1]);
  return Number.isFinite(value) ? value : fallback;
}

if (require.main === module) {
  const seed = option(process.argv, '--seed', 1);
  const mib = option(process.argv, '--mib', 16);
  printLog(seed, Math.round(mib * 1024 * 1024));
}

module.exports = { describeLog, generateLog };
