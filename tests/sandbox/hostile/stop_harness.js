// Attacks: the harness's own timers. SIGSTOP cannot be caught: a stopped harness never fires
// its wall timeout and never reports, while this program keeps running. Only the grader's
// outer timeout, outside the container, can end the run.
// Expected: `timeout`, within the grader's outer timeout.
process.kill(process.ppid, 'SIGSTOP');
console.log('harness stopped');
setInterval(() => {}, 1000);
