// Attacks: the Docker Engine, the one thing that turns a sandbox escape into root on the host.
// Looks for the Engine's and containerd's sockets where they usually live and tries to talk
// to them, and tries the Engine's TCP ports on loopback.
// Expected: `failed` (no worker); no socket found, no connection made.
const fs = require('fs');
const net = require('net');

const sockets = [
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/run/containerd/containerd.sock',
  '/var/run/containerd/containerd.sock',
  '/tmp/docker.sock',
];
const ports = [2375, 2376];

function connect(options) {
  return new Promise((resolve) => {
    const socket = net.connect(options);
    const timer = setTimeout(() => finish('no answer within 2 s'), 2000);
    function finish(outcome) {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    }
    socket.on('connect', () => finish('CONNECTED'));
    socket.on('error', (error) => finish(`blocked: ${error.code}`));
  });
}

async function main() {
  const found = {};
  for (const path of sockets) {
    found[path] = fs.existsSync(path) ? `EXISTS, ${await connect({ path })}` : 'absent';
  }
  for (const port of ports) found[`127.0.0.1:${port}`] = await connect({ host: '127.0.0.1', port });
  console.log(JSON.stringify(found));
}

main();
