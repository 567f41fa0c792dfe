'use strict';
// Preloaded (--require) into the student's program, in the main thread and in every worker
// thread, so the grader can judge what really happened between threads rather than what the
// source text claims. It reports to the harness over fd 3 as JSON lines:
//   {"t": <run token>, "k": <event kind>, "n": <how many>}
// Student code can write to fd 3 too, so every line carries a token that student code cannot
// read: the main thread takes it from fd 4 (which the harness closes after writing it, and we
// close before student code runs); a worker thread takes it from the environment data that
// the patched Worker constructor sets for the duration of the constructor only, and deletes
// it before student code runs. The public getEnvironmentData never returns it.
//
// The hooks must be invisible: no listener of our own (a 'message' listener keeps a port, and
// so a worker, alive), no change to exit codes, output or ESM/CJS behaviour. A failure in here
// never reaches the student's program: it is reported to the harness as 'hooks_failed'.

(function installHarnessHooks() {
  const childProcess = require('child_process');
  const events = require('events');
  const fs = require('fs');
  const Module = require('module');
  const pathModule = require('path');
  const workerThreads = require('worker_threads');
  // The image's Node has no code cache, so every thread compiles each module it loads afresh:
  // worker threads, which measure nothing, are spared perf_hooks' dozen modules, and every
  // thread util's few (util.promisify.custom is this registered symbol, as Node documents).
  const perfHooks = workerThreads.isMainThread ? require('perf_hooks') : null;
  const PROMISIFY_CUSTOM = Symbol.for('nodejs.util.promisify.custom');
  const { createCommandWatch, patchChildProcess } = require('./hooks-child-process.cjs');
  const { createWorkerLife } = require('./hooks-worker-life.cjs');

  const HOOKS_PATH = __filename;
  const EVENT_FD = 3;
  const TOKEN_FD = 4;
  const TOKEN_KEY = 'org.course-platform.harness-token';
  const TOKEN_PATTERN = /^[0-9a-f]{32,128}$/;
  // A lab driver (/opt/labs/<kind>/driver.js) runs as the main script in place of the
  // student's file and loads it itself; it takes this channel before any student code runs.
  const LABS_DIR = pathModule.resolve(pathModule.dirname(__filename), '..', 'labs');
  const DRIVER_CHANNEL_KEY = Symbol.for('org.course-platform.lab-driver-channel');
  // The first events of a kind go out one by one, later ones in batches, so a benchmark that
  // posts a million messages pays a write per hundred messages, not one per message.
  const EXACT_EVENTS = 100;
  const BATCH_EVENTS = 100;

  // Captured before student code runs: student code may replace any of these later.
  const writeSync = fs.writeSync;
  const stringify = JSON.stringify;
  const performanceNow =
    perfHooks === null ? null : perfHooks.performance.now.bind(perfHooks.performance);
  const reflectApply = Reflect.apply;
  const reflectConstruct = Reflect.construct;
  const defineProperty = Object.defineProperty;
  const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const getPrototypeOf = Object.getPrototypeOf;
  const isArray = Array.isArray;
  const queueMicrotaskOriginal = queueMicrotask;
  const weakMapGet = WeakMap.prototype.get;
  const weakMapSet = WeakMap.prototype.set;
  const { setEnvironmentData, getEnvironmentData, MessagePort } = workerThreads;
  const isMainThread = workerThreads.isMainThread;
  // What MessagePort.prototype.postMessage must be while a Worker is constructed: the
  // original, or in a worker thread our counting wrapper around it.
  let trustedPostMessage = MessagePort.prototype.postMessage;

  hidePreloadFromExecArgv();
  // A re-require of this file (by curious student code) must start from scratch and find
  // no token, not share this instance.
  delete require.cache[HOOKS_PATH];
  delete require.cache[require.resolve('./hooks-child-process.cjs')];
  delete require.cache[require.resolve('./hooks-worker-life.cjs')];

  const token = isMainThread ? readTokenFromFd() : takeTokenFromEnvironment();
  if (token === null) return;

  const counts = Object.create(null);
  const unsent = Object.create(null);
  const driverMode = isMainThread && isLabDriver(process.argv[1]);
  const workerLife = isMainThread
    ? createWorkerLife({
        sendValue,
        monitorDelay: driverMode ? null : perfHooks.monitorEventLoopDelay,
        now: performanceNow,
      })
    : null;
  // What became of the command a lab driver hands the student (spawn-vs-exec): main thread.
  const commandWatch = driverMode ? createCommandWatch(events.EventEmitter) : null;

  try {
    if (isMainThread) writeOutputLikeATerminal();
    patchWorkerClass();
    patchChildProcess(childProcess, record, PROMISIFY_CUSTOM, commandWatch);
    if (driverMode) offerDriverChannel();
    if (!isMainThread) {
      record('worker_started');
      observeParentPort(workerThreads.parentPort);
    }
    hideTokenFromEnvironmentGetter();
    Module.syncBuiltinESMExports();
    process.on('exit', flushAllEvents);
    // Tells the harness that what it will count is whole; without it a zero means nothing.
    if (isMainThread) send('hooks_ready', 1);
  } catch {
    // A Node version whose internals we do not know: the program still runs, but without
    // trustworthy observations, which the harness must report as its own failure.
    send('hooks_failed', 1);
  }

  /** Remove our own --require from process.execArgv, where a plain `node main.js` has none. */
  function hidePreloadFromExecArgv() {
    const argv = process.execArgv;
    for (let i = 0; i < argv.length; i++) {
      if ((argv[i] === '--require' || argv[i] === '-r') && argv[i + 1] === HOOKS_PATH) {
        argv.splice(i, 2);
        i--;
      } else if (argv[i] === `--require=${HOOKS_PATH}`) {
        argv.splice(i, 1);
        i--;
      }
    }
  }

  /**
   * Make stdout and stderr blocking, as Node makes them on a terminal. On the pipes the
   * harness gives, Node queues a write in memory whenever the pipe is full and only flushes
   * the queue when the event loop turns, so `for (;;) console.log(x)` would grow until the
   * memory limit kills it; at home, on a TTY, the same loop just prints (and here hits the
   * output limit), and output written before process.exit() is never lost.
   */
  function writeOutputLikeATerminal() {
    for (const stream of [process.stdout, process.stderr]) {
      const handle = stream && stream._handle;
      if (handle && typeof handle.setBlocking === 'function') {
        try {
          handle.setBlocking(true);
        } catch {
          // Not a libuv stream (a file is written synchronously already).
        }
      }
    }
  }

  /** The harness writes the token into fd 4 and shuts it; anything else on fd 4 is not ours. */
  function readTokenFromFd() {
    try {
      if (!fs.fstatSync(TOKEN_FD).isSocket()) return null;
    } catch {
      return null;
    }
    const buffer = Buffer.alloc(256);
    let length = 0;
    try {
      for (;;) {
        const n = fs.readSync(TOKEN_FD, buffer, length, buffer.length - length, null);
        if (n === 0 || length + n >= buffer.length) break;
        length += n;
      }
    } catch {
      length = 0;
    }
    try {
      fs.closeSync(TOKEN_FD);
    } catch {
      // Already closed: nothing to hide.
    }
    const text = buffer.toString('latin1', 0, length).trim();
    return TOKEN_PATTERN.test(text) ? text : null;
  }

  function takeTokenFromEnvironment() {
    const value = getEnvironmentData(TOKEN_KEY);
    setEnvironmentData(TOKEN_KEY, undefined);
    return typeof value === 'string' && TOKEN_PATTERN.test(value) ? value : null;
  }

  function record(kind) {
    const seen = (counts[kind] || 0) + 1;
    counts[kind] = seen;
    const pending = (unsent[kind] || 0) + 1;
    if (seen <= EXACT_EVENTS || pending >= BATCH_EVENTS) {
      unsent[kind] = 0;
      send(kind, pending);
    } else {
      unsent[kind] = pending;
    }
  }

  function flushAllEvents() {
    if (workerLife !== null) workerLife.flush();
    for (const kind in unsent) {
      if (unsent[kind] > 0) {
        send(kind, unsent[kind]);
        unsent[kind] = 0;
      }
    }
  }

  /** Report a measurement: `value` is a flat object (see events.js) built by harness code. */
  function sendValue(kind, value) {
    const line = '{"t":"' + token + '","k":"' + kind + '","v":' + stringify(value) + '}\n';
    try {
      writeSync(EVENT_FD, line);
    } catch {
      // As in send(): the measurement is lost, the run goes on.
    }
  }

  function isLabDriver(mainScript) {
    return (
      typeof mainScript === 'string' &&
      pathModule.basename(mainScript) === 'driver.js' &&
      pathModule.dirname(pathModule.dirname(mainScript)) === LABS_DIR
    );
  }

  /**
   * Hand the lab driver a way to report measurements and to read worker counts. It sits
   * on globalThis only until the driver's first line takes it, before student code loads.
   */
  function offerDriverChannel() {
    const channel = Object.freeze({
      send: sendValue,
      workerCounts: () => workerLife.counts(),
      resetPeakWorkers: () => workerLife.resetPeak(),
      watchCommand: (file, args, onOutputEnd) => commandWatch.watch(file, args, onOutputEnd),
      commandOutput: () => commandWatch.counts(),
    });
    defineProperty(globalThis, DRIVER_CHANNEL_KEY, {
      value: channel,
      writable: false,
      enumerable: false,
      configurable: true,
    });
  }

  function send(kind, n) {
    // String concatenation, not JSON.stringify: a student's Object.prototype.toJSON would
    // otherwise be handed an object holding the token.
    const line = '{"t":"' + token + '","k":"' + kind + '","n":' + n + '}\n';
    try {
      writeSync(EVENT_FD, line);
    } catch {
      // fd 3 closed or replaced by the student: the observation is lost, the run goes on.
    }
  }

  /**
   * Replace worker_threads.Worker by a Proxy of the real class: `instanceof`, statics and
   * subclassing behave as before, while construction gains the preload and the token.
   */
  function patchWorkerClass() {
    const OriginalWorker = workerThreads.Worker;
    const PatchedWorker = new Proxy(OriginalWorker, {
      construct(target, args, newTarget) {
        const forwarded = args.length === 0 ? [] : [args[0], withPreload(args[1])];
        const restorePostMessage = pinPostMessage();
        setEnvironmentData(TOKEN_KEY, token);
        let worker;
        try {
          worker = reflectConstruct(target, forwarded, newTarget);
        } finally {
          setEnvironmentData(TOKEN_KEY, undefined);
          restorePostMessage();
        }
        record('worker_created');
        if (workerLife !== null) workerLife.constructed();
        return worker;
      },
    });
    const prototype = OriginalWorker.prototype;
    defineProperty(prototype, 'constructor', {
      value: PatchedWorker,
      writable: true,
      enumerable: false,
      configurable: true,
    });
    // The real class emits 'message' on itself when a message from the worker arrives; an
    // override of emit sees it without adding a listener (a listener would ref the port).
    defineProperty(prototype, 'emit', {
      value: function emit(event) {
        if (event === 'message') record('received_from_worker');
        if (workerLife !== null) workerLife.emitted(this, event);
        return reflectApply(getPrototypeOf(prototype).emit, this, arguments);
      },
      writable: true,
      enumerable: false,
      configurable: true,
    });
    const originalPostMessage = prototype.postMessage;
    defineProperty(prototype, 'postMessage', {
      value: function postMessage() {
        const result = reflectApply(originalPostMessage, this, arguments);
        record('sent_to_worker');
        return result;
      },
      writable: true,
      enumerable: false,
      configurable: true,
    });
    workerThreads.Worker = PatchedWorker;
  }

  /**
   * Options for the real constructor with our preload in execArgv: without it, a worker
   * given its own execArgv (even []) would run unobserved. The student's object is left
   * untouched; the copy inherits from it so every other option reads the same.
   */
  function withPreload(options) {
    if (options === undefined) return { execArgv: ['--require', HOOKS_PATH] };
    if (options === null || typeof options !== 'object') return options;
    const execArgv = options.execArgv;
    if (execArgv !== undefined && !isArray(execArgv)) return options;
    const copy = Object.create(options);
    const preloaded = ['--require', HOOKS_PATH];
    if (execArgv !== undefined) {
      for (let i = 0; i < execArgv.length; i++) preloaded[preloaded.length] = execArgv[i];
    }
    defineProperty(copy, 'execArgv', {
      value: preloaded,
      writable: true,
      enumerable: true,
      configurable: true,
    });
    return copy;
  }

  /**
   * The real constructor sends the environment data (and so the token) to the new thread
   * with MessagePort.prototype.postMessage. Make sure that is the method we know, not one a
   * student installed to read the message, for the duration of the constructor.
   */
  function pinPostMessage() {
    const prototype = MessagePort.prototype;
    const current = getOwnPropertyDescriptor(prototype, 'postMessage');
    if (current !== undefined && current.value === trustedPostMessage) return () => {};
    defineProperty(prototype, 'postMessage', {
      value: trustedPostMessage,
      writable: true,
      enumerable: false,
      configurable: true,
    });
    return () => {
      if (current === undefined) delete prototype.postMessage;
      else defineProperty(prototype, 'postMessage', current);
    };
  }

  /**
   * In a worker: count messages that reach the student's own 'message' listeners on
   * parentPort (on, once, addListener, addEventListener and onmessage all end in
   * addEventListener), messages it pulls with receiveMessageOnPort, and messages it sends.
   */
  function observeParentPort(parentPort) {
    if (!parentPort) return;
    const prototype = MessagePort.prototype;
    const wrappers = new WeakMap();
    let inDispatch = false;

    const messageArrived = () => {
      // Several listeners see the same message: count it once per dispatch.
      if (inDispatch) return;
      inDispatch = true;
      record('received_from_main');
      queueMicrotaskOriginal(() => {
        inDispatch = false;
      });
    };

    const wrapperFor = (listener) => {
      let wrapper = reflectApply(weakMapGet, wrappers, [listener]);
      if (wrapper === undefined) {
        wrapper =
          typeof listener === 'function'
            ? function () {
                messageArrived();
                return reflectApply(listener, this, arguments);
              }
            : function () {
                messageArrived();
                return reflectApply(listener.handleEvent, listener, arguments);
              };
        reflectApply(weakMapSet, wrappers, [listener, wrapper]);
      }
      return wrapper;
    };

    const isObservedListener = (port, type, listener) =>
      port === parentPort &&
      type === 'message' &&
      listener !== null &&
      (typeof listener === 'function' || typeof listener === 'object');

    const inherited = getPrototypeOf(prototype);
    defineProperty(prototype, 'addEventListener', {
      value: function addEventListener(type, listener) {
        const args = copyArguments(arguments);
        if (isObservedListener(this, type, listener)) args[1] = wrapperFor(listener);
        return reflectApply(inherited.addEventListener, this, args);
      },
      writable: true,
      enumerable: false,
      configurable: true,
    });
    defineProperty(prototype, 'removeEventListener', {
      value: function removeEventListener(type, listener) {
        const args = copyArguments(arguments);
        if (isObservedListener(this, type, listener)) {
          const wrapper = reflectApply(weakMapGet, wrappers, [listener]);
          if (wrapper !== undefined) args[1] = wrapper;
        }
        return reflectApply(inherited.removeEventListener, this, args);
      },
      writable: true,
      enumerable: false,
      configurable: true,
    });

    const originalPostMessage = prototype.postMessage;
    trustedPostMessage = function postMessage() {
      // Counted before it goes: once it arrives, the main thread may end this one at once
      // (worker.terminate() in its 'message' listener), before a line written after the
      // send, and an honest crossing would go unseen. A send that throws went nowhere.
      const toMain = this === parentPort;
      if (toMain) record('sent_to_main');
      try {
        return reflectApply(originalPostMessage, this, arguments);
      } catch (error) {
        if (toMain) record('unsent_to_main');
        throw error;
      }
    };
    defineProperty(prototype, 'postMessage', {
      value: trustedPostMessage,
      writable: true,
      enumerable: false,
      configurable: true,
    });

    const originalReceive = workerThreads.receiveMessageOnPort;
    workerThreads.receiveMessageOnPort = function receiveMessageOnPort(port) {
      const result = reflectApply(originalReceive, this, arguments);
      if (port === parentPort && result !== undefined) record('received_from_main');
      return result;
    };
  }

  function copyArguments(args) {
    const copy = [];
    for (let i = 0; i < args.length; i++) copy[i] = args[i];
    return copy;
  }

  function hideTokenFromEnvironmentGetter() {
    workerThreads.getEnvironmentData = function getEnvironmentData(key) {
      if (key === TOKEN_KEY) return undefined;
      return reflectApply(getEnvironmentData, this, arguments);
    };
  }
})();
