// Attacks: network isolation. Tries DNS (the system resolver and a direct query), TCP and UDP
// to addresses that could never reach a real host even if routed (RFC 5737/3849
// documentation ranges, the reserved .invalid TLD), and lists the network interfaces.
// With `--network none` there is nothing but loopback, so every attempt must fail.
// Expected: `failed` (no worker), every attempt reported as blocked.
const dgram = require('dgram');
const dns = require('dns');
const net = require('net');
const os = require('os');

const attempts = [];

function attempt(name, start) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done('no answer within 2 s'), 2000);
    function done(outcome) {
      clearTimeout(timer);
      attempts.push({ name, outcome });
      resolve();
    }
    start(done);
  });
}

const tcp = (host, port) => (done) => {
  const socket = net.connect({ host, port });
  socket.on('connect', () => {
    socket.destroy();
    done('CONNECTED');
  });
  socket.on('error', (error) => done(`blocked: ${error.code}`));
};

async function main() {
  await attempt('dns lookup example.invalid', (done) =>
    dns.lookup('example.invalid', (error, address) =>
      done(error ? `blocked: ${error.code}` : `RESOLVED ${address}`),
    ),
  );
  await attempt('dns query via 192.0.2.53', (done) => {
    const resolver = new dns.Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers(['192.0.2.53']);
    resolver.resolve4('example.invalid', (error, addresses) =>
      done(error ? `blocked: ${error.code}` : `RESOLVED ${addresses}`),
    );
  });
  await attempt('tcp 192.0.2.1:80', tcp('192.0.2.1', 80));
  await attempt('tcp [2001:db8::1]:443', tcp('2001:db8::1', 443));
  await attempt('udp 192.0.2.1:53', (done) => {
    const socket = dgram.createSocket('udp4');
    socket.send(Buffer.from('hello'), 53, '192.0.2.1', (error) => {
      socket.close();
      done(error ? `blocked: ${error.code}` : 'SENT');
    });
  });
  const interfaces = Object.keys(os.networkInterfaces()).sort();
  console.log(JSON.stringify({ attempts, interfaces }));
}

main();
