// Attacks: isolation of processes. Walks /proc for every process it can see, with its
// command line, hoping to find the host's (the grader, dockerd, other students' runs) to
// read their environment or signal them. A private pid namespace shows only the container's.
// Expected: `failed` (no worker); only docker-init, the harness and this program are visible.
const fs = require('fs');

const processes = [];
for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
  let command;
  try {
    command = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean);
  } catch (error) {
    command = [`unreadable: ${error.code}`];
  }
  processes.push({ pid: Number(pid), command });
}
let hostname = null;
try {
  hostname = fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
} catch (error) {
  hostname = `unreadable: ${error.code}`;
}
console.log(JSON.stringify({ processes, hostname }));
