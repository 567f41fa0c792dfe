"""The sandbox image end to end: a submission goes in, the harness's report comes out.

Each test runs real student code in the real image with the grader's hardening flags and
checks what a user of the grader would notice: the status, exit code, output and the
observations the verdict is built on, and that a student cannot fake any of them.
"""

import json

import pytest

pytestmark = pytest.mark.docker

CJS_THREAD_LAB = """\
const { Worker, isMainThread, parentPort } = require('worker_threads');
if (isMainThread) {
  const worker = new Worker(__filename);
  worker.on('message', (message) => console.log(`main received: ${message}`));
} else {
  parentPort.postMessage('hello from the worker');
}
"""

ESM_THREAD_LAB = """\
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
if (isMainThread) {
  const worker = new Worker(new URL(import.meta.url));
  worker.on('message', (message) => console.log(`main received: ${message}`));
} else {
  parentPort.postMessage('hello from the worker');
}
"""

OWN_EXEC_ARGV_THREAD_LAB = """\
const { Worker, isMainThread, parentPort } = require('node:worker_threads');
if (isMainThread) {
  const worker = new Worker(__filename, { execArgv: [] });
  worker.on('message', (message) => console.log(`main received: ${message}`));
} else {
  parentPort.postMessage('hello from the worker');
}
"""

FOUR_WORKERS_THREAD_LAB = """\
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
if (isMainThread) {
  for (let i = 0; i < 4; i++) {
    const worker = new Worker(__filename, { workerData: i });
    worker.on('message', (message) => console.log(`main received: ${message}`));
  }
} else {
  parentPort.postMessage(`hello from the worker ${workerData}`);
}
"""

LISTENER_KEEPS_WORKER_ALIVE = """\
const { Worker, isMainThread, parentPort } = require('worker_threads');
if (isMainThread) {
  const worker = new Worker(__filename);
  worker.postMessage('ping');
} else {
  parentPort.on('message', (message) => console.log(`worker received: ${message}`));
}
"""

EXIT_RIGHT_AFTER_POST = """\
const { Worker, isMainThread, parentPort } = require('worker_threads');
if (isMainThread) {
  const worker = new Worker(__filename);
  worker.postMessage('ping');
  process.exit(0);
} else {
  parentPort.on('message', (message) => console.log(`worker received: ${message}`));
}
"""


@pytest.mark.parametrize(
    ("files", "entrypoint", "workers"),
    [
        pytest.param({"main.js": CJS_THREAD_LAB}, "main.js", 1, id="commonjs"),
        pytest.param({"main.mjs": ESM_THREAD_LAB}, "main.mjs", 1, id="es-module"),
        pytest.param({"main.js": OWN_EXEC_ARGV_THREAD_LAB}, "main.js", 1, id="own-execArgv"),
        pytest.param({"main.js": FOUR_WORKERS_THREAD_LAB}, "main.js", 4, id="four-workers"),
    ],
)
def test_thread_lab_solution_is_observed(run_in_sandbox, files, entrypoint, workers):
    run = run_in_sandbox(files, entrypoint=entrypoint)

    report = run.report
    assert run.exit_code == 0
    assert (report["status"], report["exit_code"], report["signal"]) == ("exited", 0, None)
    assert report["observations"]["workers_created"] == workers
    assert report["observations"]["workers_online"] == workers
    assert report["observations"]["messages_to_main"] >= workers
    assert report["observations"]["messages_to_worker"] == 0
    assert "main received: hello from the worker" in report["output"]["text"]
    assert report["error_line"] is None
    assert report["cgroup"] == {
        "oom_kills": 0,
        "cpu_quota_cpus": 1,
        "memory_limit_bytes": 256 * 1024 * 1024,
    }


def test_worker_kept_alive_by_its_listener_is_stopped_once_the_message_crossed(run_in_sandbox):
    run = run_in_sandbox(
        {"main.js": LISTENER_KEEPS_WORKER_ALIVE},
        wall_seconds=5,
        goal="message_crossed",
        stop_after_goal_ms=300,
    )

    report = run.report
    assert report["status"] == "stopped_after_goal"
    assert report["observations"]["messages_to_worker"] >= 1
    assert "worker received: ping" in report["output"]["text"]
    assert report["wall_ms"] < 4000, "stopped well before the wall timeout"


def test_message_posted_right_before_exit_does_not_count(run_in_sandbox):
    run = run_in_sandbox({"main.js": EXIT_RIGHT_AFTER_POST}, goal="message_crossed")

    report = run.report
    assert (report["status"], report["exit_code"]) == ("exited", 0)
    assert report["observations"]["workers_created"] == 1
    assert report["observations"]["messages_to_worker"] == 0
    assert report["observations"]["messages_to_main"] == 0
    assert "worker received" not in report["output"]["text"]


ENDED_AS_SOON_AS_ITS_MESSAGE_ARRIVES = """\
const { Worker, isMainThread, parentPort } = require('worker_threads');
const WORKERS = 24;
if (isMainThread) {
  let received = 0;
  for (let i = 0; i < WORKERS; i++) {
    const worker = new Worker(__filename);
    worker.once('message', () => {
      worker.terminate();
      if (++received === WORKERS) console.log(`main received ${received} messages`);
    });
  }
} else {
  parentPort.postMessage('done');
}
"""


def test_a_worker_ended_as_soon_as_its_message_arrives_has_still_sent_it(run_in_sandbox):
    # The main thread may run its listener, and end the worker, before the worker's next
    # line: an honest Thread Lab written so was once failed under load for "no message".
    run = run_in_sandbox(
        {"main.js": ENDED_AS_SOON_AS_ITS_MESSAGE_ARRIVES},
        wall_seconds=20,
        docker_flags=("--cpuset-cpus=0",),
    )

    report = run.report
    assert "main received 24 messages" in report["output"]["text"]
    assert report["observations"]["messages_to_main"] == 24


@pytest.mark.parametrize(
    ("entrypoint", "source", "line", "column"),
    [
        pytest.param("main.js", "console.log('ran');\nconst b = ;\n", 2, 11, id="commonjs"),
        pytest.param("main.mjs", "import fs from 'node:fs';\n\tlet x = ;\n", 2, 10, id="es-module"),
    ],
)
def test_syntax_error_is_located_and_the_code_is_not_run(
    run_in_sandbox, entrypoint, source, line, column
):
    run = run_in_sandbox({entrypoint: source}, entrypoint=entrypoint)

    report = run.report
    assert run.exit_code == 0
    assert report["syntax_error"] == {
        "line": line,
        "column": column,
        "message": "SyntaxError: Unexpected token ';'",
    }
    assert report["error_line"] == "SyntaxError: Unexpected token ';'"
    assert report["exit_code"] == 1
    assert "ran\n" not in report["output"]["text"]
    assert "SyntaxError" in report["output"]["text"]


# Valid CommonJS (sloppy mode allows `with`), a SyntaxError as an ES module (strict mode).
SLOPPY_ONLY = "with (Math) { console.log('ran', max(1, 2)); }\n"


def test_entry_is_checked_as_node_will_load_it_commonjs(run_in_sandbox):
    """The harness compiles a CommonJS entry itself instead of starting `node --check`."""
    report = run_in_sandbox({"main.js": SLOPPY_ONLY}).report

    assert report["syntax_error"] is None
    assert (report["status"], report["exit_code"]) == ("exited", 0)
    assert report["output"]["text"] == "ran 2\n"


def test_entry_is_checked_as_node_will_load_it_module_by_package_json(run_in_sandbox):
    """A package.json with "type": "module" makes the same file an ES module, and a
    SyntaxError: that verdict is node --check's, and the code is not run."""
    files = {"main.js": SLOPPY_ONLY, "package.json": '{"type": "module"}\n'}
    report = run_in_sandbox(files).report

    assert report["syntax_error"] is not None
    assert report["syntax_error"]["line"] == 1
    assert "strict mode" in report["syntax_error"]["message"].lower()
    assert "ran 2" not in report["output"]["text"]  # Node's message quotes the source line


def test_infinite_loop_is_killed_at_the_wall_timeout(run_in_sandbox):
    run = run_in_sandbox({"main.js": "console.log('spinning');\nwhile (true) {}\n"}, wall_seconds=2)

    report = run.report
    assert (report["status"], report["exit_code"], report["signal"]) == ("timeout", None, "SIGKILL")
    assert 2000 <= report["wall_ms"] < 3500
    assert report["output"]["text"] == "spinning\n"
    assert run.exit_code == 0


def test_output_flood_is_stopped_and_truncated(run_in_sandbox):
    flood = "console.log('first line');\nconst line = 'x'.repeat(999) + '\\n';\n"
    flood += "for (;;) process.stdout.write(line);\n"
    run = run_in_sandbox({"main.js": flood}, output_bytes=200_000)

    output = run.report["output"]
    assert run.report["status"] == "output_limit"
    assert output["truncated"] is True
    assert output["bytes_total"] > 200_000
    assert output["text"].startswith("first line\nxxx")
    assert " bytes elided] …\n" in output["text"]
    assert len(output["text"].encode("utf-8")) < 17 * 1024


@pytest.mark.parametrize(
    ("source", "exit_code", "error_line"),
    [
        pytest.param("throw new Error('boom');\n", 1, "Error: boom", id="throw"),
        pytest.param(
            "const { Worker } = require('worker_threads');\n"
            "new Worker('throw new TypeError(\"bad worker\")', { eval: true });\n",
            1,
            "TypeError: bad worker",
            id="error-in-worker",
        ),
        pytest.param(
            "console.error('Error: logged, not thrown');\nprocess.exitCode = 3;\n",
            3,
            "Error: logged, not thrown",
            id="exit-code",
        ),
    ],
)
def test_exit_code_and_error_line_are_reported(run_in_sandbox, source, exit_code, error_line):
    run = run_in_sandbox({"main.js": source})

    assert (run.report["status"], run.report["exit_code"]) == ("exited", exit_code)
    assert error_line in run.report["error_line"]
    assert run.exit_code == 0, "the harness exits 0 whatever the student's code does"


def test_invalid_utf8_output_is_made_safe(run_in_sandbox):
    run = run_in_sandbox({"main.js": "process.stdout.write(Buffer.from([0xff, 0xfe, 0x41]));\n"})

    output = run.report["output"]
    assert output["bytes_total"] == 3
    assert output["text"].endswith("A")
    assert "\ufffd" in output["text"]


def test_student_sees_a_plain_node_with_only_path_home_and_lang(run_in_sandbox):
    probe = """\
const { getEnvironmentData } = require('worker_threads');
console.log(JSON.stringify({
  env: Object.keys(process.env).sort(),
  execArgv: process.execArgv,
  cwd: process.cwd(),
  token: getEnvironmentData('org.course-platform.harness-token') ?? null,
}));
"""
    run = run_in_sandbox({"main.js": probe})

    seen = json.loads(run.report["output"]["text"])
    assert seen == {
        "env": ["HOME", "LANG", "PATH"],
        "execArgv": [],
        "cwd": "/tmp/submission",
        "token": None,
    }


FAKE_REPORT = (
    'HARNESS-REPORT {"harness_version":1,"lab_kind":"thread-lab","status":"exited",'
    '"exit_code":0,"observations":{"workers_created":9,"workers_online":9,'
    '"messages_to_main":9,"messages_to_worker":9}}'
)


@pytest.mark.parametrize(
    ("source", "report_lines_on_stdout"),
    [
        # Student output is data inside the report, never on the container's stdout.
        pytest.param(f"console.log({FAKE_REPORT!r});\n", 1, id="own-stdout"),
        # Same uid as the harness: the student can write to its stdout through /proc; the
        # real report still starts a line of its own and comes last.
        pytest.param(
            f"require('fs').writeFileSync(`/proc/${{process.ppid}}/fd/1`, {FAKE_REPORT!r});\n",
            2,
            id="harness-stdout-without-newline",
        ),
    ],
)
def test_fake_report_line_does_not_replace_the_real_report(
    run_in_sandbox, source, report_lines_on_stdout
):
    run = run_in_sandbox({"main.js": source})

    reports = [line for line in run.stdout_lines if "HARNESS-REPORT " in line]
    assert len(reports) == report_lines_on_stdout
    assert run.report["observations"] == {
        "workers_created": 0,
        "workers_online": 0,
        "messages_to_main": 0,
        "messages_to_worker": 0,
    }
    assert run.report["status"] == "exited"


FORGE_FD3_EVENTS = """\
const fs = require('fs');
const kinds = ['worker_created', 'worker_started', 'sent_to_main', 'received_from_worker',
               'sent_to_worker', 'received_from_main'];
for (const k of kinds) {
  fs.writeSync(3, JSON.stringify({ t: 'a'.repeat(48), k, n: 5 }) + '\\n');
  fs.writeSync(3, JSON.stringify({ k, n: 5 }) + '\\n');
}
"""

FORGE_EMIT_ON_WORKER = """\
const { Worker, isMainThread, parentPort } = require('worker_threads');
if (isMainThread) {
  const worker = new Worker(__filename);
  worker.on('message', (message) => console.log(`main received: ${message}`));
  worker.emit('message', 'forged');
}
"""

FORGE_EMIT_AFTER_A_SEND_THAT_THREW = """\
const { Worker, isMainThread, parentPort } = require('worker_threads');
if (isMainThread) {
  const worker = new Worker(__filename);
  worker.on('online', () => setTimeout(() => worker.emit('message', 'forged'), 200));
} else {
  try {
    parentPort.postMessage(() => 'a function cannot be cloned');
  } catch (error) {
    console.log(`the worker's send threw: ${error.name}`);
  }
}
"""

FORGE_EMIT_ON_PARENT_PORT = """\
const { Worker, isMainThread, parentPort } = require('worker_threads');
if (isMainThread) {
  new Worker(__filename);
} else {
  parentPort.on('message', (message) => console.log(`worker received: ${message}`));
  parentPort.emit('message', 'forged');
  process.exit(0);
}
"""


@pytest.mark.parametrize(
    ("source", "workers"),
    [
        pytest.param(FORGE_FD3_EVENTS, 0, id="fd3-without-token"),
        pytest.param(FORGE_EMIT_ON_WORKER, 1, id="emit-on-worker"),
        pytest.param(FORGE_EMIT_AFTER_A_SEND_THAT_THREW, 1, id="emit-after-a-send-that-threw"),
        pytest.param(FORGE_EMIT_ON_PARENT_PORT, 1, id="emit-on-parentPort"),
    ],
)
def test_forged_events_are_ignored(run_in_sandbox, source, workers):
    run = run_in_sandbox({"main.js": source}, goal="message_crossed", stop_after_goal_ms=0)

    assert run.report["status"] == "exited"
    assert run.report["observations"] == {
        "workers_created": workers,
        "workers_online": workers,
        "messages_to_main": 0,
        "messages_to_worker": 0,
    }


@pytest.mark.parametrize(
    ("spawn_options", "status"),
    [
        pytest.param("{ detached: true, stdio: 'ignore' }", "exited", id="no-stdio"),
        pytest.param("{ detached: true, stdio: 'inherit' }", "exited", id="holds-our-pipes"),
        # Node keeps the program alive while it holds pipes to the daemon, at home too.
        pytest.param("{ detached: true }", "timeout", id="own-pipes"),
    ],
)
def test_detached_daemon_does_not_keep_the_container_alive(run_in_sandbox, spawn_options, status):
    daemon = (
        "const { spawn } = require('child_process');\n"
        f"spawn('sleep', ['1000'], {spawn_options}).unref();\n"
        "console.log('daemon started');\n"
    )
    run = run_in_sandbox({"main.js": daemon}, wall_seconds=2)

    assert run.report["status"] == status
    assert run.report["output"]["text"] == "daemon started\n"
    assert run.elapsed_seconds < 2 + 5, "the container ended with the program"


@pytest.mark.parametrize(
    "hog",
    [
        pytest.param(
            "const kept = [];\nfor (;;) kept.push(Buffer.alloc(16 * 1024 * 1024, 1));\n",
            id="kernel-oom-kill",
        ),
        # Students cannot pass V8 flags to their own process; a child node with a small
        # heap is how a program makes V8 itself give up (an abort, not a kernel OOM kill).
        pytest.param(
            "const { spawnSync } = require('child_process');\n"
            "const hog = 'const kept = []; for (;;) kept.push({ n: Math.random() });';\n"
            "const child = spawnSync(process.execPath, ['--max-old-space-size=16', '-e', hog],"
            " { stdio: 'inherit' });\n"
            "process.exit(child.status ?? 1);\n",
            id="v8-heap-limit",
        ),
    ],
)
def test_memory_hog_is_reported_as_an_oom_kill(run_in_sandbox, hog):
    run = run_in_sandbox({"main.js": hog}, wall_seconds=10)

    assert run.report["status"] == "exited"
    assert run.report["exit_code"] != 0
    assert run.report["cgroup"]["oom_kills"] >= 1


TRANSPARENCY_PROBE_CJS = """\
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
if (isMainThread) {
  const worker = new Worker(__filename, { workerData: { answer: 42 } });
  const facts = {
    name: Worker.name,
    sameViaNodePrefix: require('node:worker_threads').Worker === Worker,
    instanceOf: worker instanceof Worker,
    constructor: worker.constructor === Worker,
    messageListeners: worker.listenerCount('message'),
    execArgv: process.execArgv,
  };
  worker.on('message', (message) => console.log('main got', JSON.stringify(message)));
  worker.on('exit', (code) => {
    console.log('worker exited', code, JSON.stringify(facts));
    process.exitCode = 7;
  });
  worker.postMessage('one');
  worker.postMessage('two');
} else {
  const seen = [];
  const onMessage = (message) => {
    seen.push(message);
    if (seen.length === 2) {
      parentPort.off('message', onMessage);  // the worker can only exit if this works
      parentPort.postMessage({ seen, workerData, execArgv: process.execArgv });
    }
  };
  parentPort.on('message', onMessage);
}
"""

TRANSPARENCY_PROBE_ESM = """\
import workerThreads, { Worker, isMainThread, parentPort } from 'node:worker_threads';
if (isMainThread) {
  const worker = new Worker(new URL(import.meta.url), { execArgv: [] });
  console.log(JSON.stringify({
    sameAsDefaultExport: Worker === workerThreads.Worker,
    instanceOf: worker instanceof Worker,
  }));
  worker.on('message', (message) => console.log('main got', JSON.stringify(message)));
  worker.on('exit', (code) => console.log('worker exited', code));
  worker.postMessage('one');
  worker.postMessage('two');
} else {
  const seen = [];
  const onMessage = (event) => {
    seen.push(event.data);
    if (seen.length === 2) {
      parentPort.removeEventListener('message', onMessage);
      parentPort.postMessage(seen);
    }
  };
  parentPort.addEventListener('message', onMessage);
}
"""


@pytest.mark.parametrize(
    ("entrypoint", "source", "exit_code"),
    [
        pytest.param("main.js", TRANSPARENCY_PROBE_CJS, 7, id="commonjs"),
        pytest.param("main.mjs", TRANSPARENCY_PROBE_ESM, 0, id="es-module"),
    ],
)
def test_program_behaves_as_under_plain_node(
    run_in_sandbox, run_plain_node, entrypoint, source, exit_code
):
    plain = run_plain_node({entrypoint: source}, entrypoint)
    run = run_in_sandbox({entrypoint: source}, entrypoint=entrypoint)

    assert plain.exit_code == exit_code, plain.stderr
    assert run.report["exit_code"] == exit_code
    assert run.report["output"]["text"] == plain.stdout
    assert run.report["observations"]["messages_to_worker"] == 2
    assert run.report["observations"]["messages_to_main"] == 1


def test_malformed_job_gives_a_harness_error_report(run_in_sandbox):
    run = run_in_sandbox({"main.js": "console.log('never runs');\n"}, entrypoint="../job.json")

    assert run.exit_code == 0
    assert run.report["status"] == "harness_error"
    assert "entrypoint" in run.report["harness_error"]
    assert run.report["output"]["text"] == ""


CGROUP_PROBE = """\
const { readCgroup } = require('/opt/harness/cgroup.js');
console.log(JSON.stringify(readCgroup('/work/submission/fake')));
"""


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        pytest.param(
            {
                "cgroup.controllers": "cpu memory\n",
                "memory.events": "low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\n",
                "cpu.max": "150000 100000\n",
                "memory.max": "536870912\n",
            },
            {"oom_kills": 2, "cpu_quota_cpus": 1.5, "memory_limit_bytes": 536870912},
            id="v2-limited",
        ),
        pytest.param(
            {
                "cgroup.controllers": "cpu memory\n",
                "memory.events": "oom_kill 0\n",
                "cpu.max": "max 100000\n",
                "memory.max": "max\n",
            },
            {"oom_kills": 0, "cpu_quota_cpus": None, "memory_limit_bytes": None},
            id="v2-unlimited",
        ),
        pytest.param(
            {
                "memory/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n",
                "memory/memory.limit_in_bytes": "9223372036854771712\n",
                "cpu/cpu.cfs_quota_us": "-1\n",
                "cpu/cpu.cfs_period_us": "100000\n",
            },
            {"oom_kills": 3, "cpu_quota_cpus": None, "memory_limit_bytes": None},
            id="v1-unlimited",
        ),
        pytest.param(
            {}, {"oom_kills": None, "cpu_quota_cpus": None, "memory_limit_bytes": None}, id="none"
        ),
    ],
)
def test_cgroup_files_are_read_on_v1_and_v2(run_plain_node, tree, expected):
    files = {"probe.js": CGROUP_PROBE, "fake/.keep": ""}
    files.update({f"fake/{name}": content for name, content in tree.items()})

    plain = run_plain_node(files, "probe.js")

    assert plain.exit_code == 0, plain.stderr
    assert json.loads(plain.stdout) == expected
