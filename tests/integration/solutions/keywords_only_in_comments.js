// require('worker_threads'); if (isMainThread) new Worker(file); postMessage('hi')
console.log("isMainThread new Worker postMessage worker_threads");
