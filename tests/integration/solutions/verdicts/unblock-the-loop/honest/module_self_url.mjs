// Style: an ES module that is its own worker script (`new Worker(new URL(import.meta.url))`), shares as workerData, answers awaited with for await over the promises.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { crunch, combine } from './task.js';

function runShare(seed, start, count) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { seed, start, count } });
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

export async function solve({ seed, items }, { workers }) {
  const shares = [];
  const per = Math.ceil(items / workers);
  for (let start = 0; start < items; start += per) {
    shares.push(runShare(seed, start, Math.min(per, items - start)));
  }
  let checksum = 0;
  for await (const part of shares) checksum = combine(checksum, part);
  return checksum;
}

if (!isMainThread) {
  parentPort.postMessage(crunch(workerData.seed, workerData.start, workerData.count));
}
