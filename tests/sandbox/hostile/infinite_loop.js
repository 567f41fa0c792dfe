// Attacks: the wall-clock limit. A busy loop on the main thread never yields, so no timer
// of its own can fire; only the harness's wall timeout (or the grader's outer one) ends it.
// Expected: `timeout`, stopped at the lab's wall limit.
console.log('spinning forever');
for (;;) {
  // burn
}
