// Attacks: PID 1 of the container (docker-init, run with the student's uid). SIGKILL to a
// namespace's init from inside is ignored by the kernel, but docker-init forwards the
// signals it can catch (SIGTERM, SIGINT, SIGHUP, SIGUSR1...) to the harness. Sends them all,
// then keeps running as if nothing happened.
// Expected: `error` (the forwarded SIGTERM ended the harness), never `passed`.
for (const signal of ['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGQUIT']) {
  try {
    process.kill(1, signal);
    console.log(`sent ${signal} to pid 1`);
  } catch (error) {
    console.log(`cannot send ${signal} to pid 1: ${error.code}`);
  }
}
setInterval(() => {}, 1000);
