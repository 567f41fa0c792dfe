// Attacks: the CPU quota. Starts eight workers that spin forever, more than the quota's CPUs,
// and samples how much CPU time the process gets per second of wall time. The quota must hold
// it to the lab's CPUs (1), and the harness (same container, same quota) must still fire
// its wall timeout on time.
// Expected: `timeout` at the wall limit; the printed CPU share never far above the quota.
const { Worker } = require('worker_threads');

for (let i = 0; i < 8; i++) new Worker('for (;;) {}', { eval: true });

let last = { cpu: process.cpuUsage(), at: process.hrtime.bigint() };
setInterval(() => {
  const cpu = process.cpuUsage(last.cpu);
  const at = process.hrtime.bigint();
  const wallMicros = Number(at - last.at) / 1000;
  const share = (cpu.user + cpu.system) / wallMicros;
  console.log(`cpu share ${share.toFixed(2)}`);
  last = { cpu: process.cpuUsage(), at };
}, 500);
