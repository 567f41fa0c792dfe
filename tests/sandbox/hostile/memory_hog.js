// Attacks: the memory limit. Buffers live outside V8's heap, so V8's own heap limit never
// stops this: only the container's memory limit (memory = memory + swap, no swap to hide
// in) does, with a kernel OOM kill.
// Expected: `memory_exceeded`, quoting the lab's 256 MiB.
const kept = [];
for (;;) kept.push(Buffer.alloc(16 * 1024 * 1024, 1));
