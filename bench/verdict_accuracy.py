"""Verdict accuracy under load: do honest solutions pass and dishonest ones not, on a busy host?

A grader host is rarely quiet: other gradings compete for its cores. The speed checks must
then say `inconclusive` (re-measured, never counted) rather than fail an honest solution or
pass a dishonest one. This benchmark grades every reference solution of
tests/integration/solutions/verdicts/<lab>/{honest,dishonest}/ (Node's labs),
tests/python_sandbox/solutions/<lab>/ (Python's measured labs: each file's first comment
says `Honest:` or what it does instead) and each course's own solution, as honest, through
the real pipeline and sandbox with its language's image, as the portal would send it,
while a second grader process grades an honest N-worker Unblock the Loop solution over and
over with the same ceilings, so that two graders compete for the CPUs. Both are real
graders: they share the host's CPU slots (grader/cpu_slots.py), so their Unblock the Loop
gradings take turns, and every other grading runs beside the competitor's. The table's
last column is the median time per grading, waits for a slot included.

Each sandbox runtime the Engine has (runc, and runsc when registered: deploy/README.md
"gVisor") gets its own table under the same load, side by side: the competing grader
always runs under runc, so the load is the same for both.

`--check-config` merges settings into every lab's check_config, the competitor's too: e.g.
`'{"stop_when_decided": 0, "reference_repeats": 3}'` times every repetition asked and exec's
solution three times, as the labs did before they stopped once decided, so that the same
image measures both ways. Each row says how many repetitions its gradings timed (the
report's `repeats`: Unblock the Loop's, Spawn vs Exec's calls).

Right: an honest solution `passed`; a dishonest one got anything but `passed` (or, when its
file says `// Expect: passed ...`, a pass below full marks: the lab gives partial marks for
what it did). `inconclusive` is neither right nor wrong; `infra_error` is counted apart.
Targets: 100% right or inconclusive, at most 10% inconclusive, 0% wrong. It is a
measurement: the exit status is 0 even when a target is MISSED. Writes
bench/out/verdict_accuracy.json.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import json
import multiprocessing
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

import docker
from sandbox_runtimes import SANDBOX_RUNTIMES, engine_runtimes

from contract import SCHEMA_VERSION, GradeRequest, GradeResult, SubmittedFile
from grader.adapter import KNOWN_ADAPTERS, Adapter, load_adapter
from grader.config import GraderConfig
from grader.pipeline import grade_request
from grader.sandbox import SANDBOX_LABEL, SUBMISSION_LABEL, run_in_sandbox
from portal.catalogue.catalogue import Lab
from portal.catalogue.loader import load_catalogue

ROOT = Path(__file__).resolve().parent.parent
VERDICTS = ROOT / "tests" / "integration" / "solutions" / "verdicts"
PYTHON_STYLES = ROOT / "tests" / "python_sandbox" / "solutions"
COURSE = "node-workers"
COURSES = ("node-workers", "python-concurrency")
LABS = ("thread-lab", "unblock-the-loop", "spawn-vs-exec", "beat-the-gil", "async-gather")
LOAD_LAB = "unblock-the-loop"  # the competing grader's lab: N workers, the heaviest job
LOAD_PREFIX = "bench-load-"  # submission ids (container labels) of the competing grader
TARGET_INCONCLUSIVE = 0.10
OUTCOMES = ("right", "inconclusive", "wrong", "infra_error")


@dataclass(frozen=True)
class Solution:
    """One reference solution and what a truthful grader must say of it."""

    lab: str
    path: Path
    honest: bool
    style: str  # the file's `// Style:` line
    partial_pass: bool = False  # dishonest, but its file expects a pass below full marks
    deciding_check: str = ""  # dishonest: the check its `// Expect:` line says catches it

    @property
    def expected(self) -> str:
        if self.honest:
            return "passed"
        return "passed, score < 1" if self.partial_pass else "not passed"


def judge(solution: Solution, verdict: str, score: float) -> str:
    """`right`, `wrong`, `inconclusive` or `infra_error` for one grading of `solution`."""
    if verdict in ("inconclusive", "infra_error"):
        return verdict
    if solution.honest:
        return "right" if verdict == "passed" else "wrong"
    if solution.partial_pass:
        return "right" if verdict == "passed" and score < 1 else "wrong"
    return "wrong" if verdict == "passed" else "right"


def tally(outcomes: list[str]) -> dict[str, float | int]:
    """Gradings and the share of each outcome, over the gradings that were not infra_error."""
    counts = Counter(outcomes)
    judged = len(outcomes) - counts["infra_error"]
    shares = {name: counts[name] / judged if judged else 0.0 for name in OUTCOMES[:3]}
    return {"gradings": len(outcomes), **shares, "infra_error": counts["infra_error"]}


def targets_met(totals: dict[str, float | int]) -> dict[str, bool]:
    """Each target of the issue against a tally."""
    return {
        "100% right or inconclusive": totals["wrong"] == 0 and totals["gradings"] > 0,
        f"<= {TARGET_INCONCLUSIVE:.0%} inconclusive": totals["inconclusive"] <= TARGET_INCONCLUSIVE,
        "0% wrong": totals["wrong"] == 0,
    }


def read_solution(lab: str, path: Path, honest: bool | None = None) -> Solution:
    """A solution with its style and expectation, read from the comment lines at its top.

    `honest=None`: the first comment says it (a Python style file: `# Honest: ...`, or
    `# Dishonest:`, `# Incomplete:`, `# Wrong order:` for what it does instead).
    """
    marker = "#" if path.suffix == ".py" else "//"
    header = []
    for line in path.read_text().splitlines():
        if not line.startswith(marker):
            break
        header.append(line.removeprefix(marker).strip())
    if honest is None:
        honest = bool(header) and header[0].startswith("Honest:")
        label = re.match(r"[A-Z][a-z]+(?: [a-z]+)?: ", header[0]) if header else None
        header[:1] = [header[0][label.end() :]] if label else header[:1]
    expect = next(
        (line.removeprefix("Expect:") for line in header if line.startswith("Expect:")), ""
    )
    style = " ".join(line for line in header if not line.startswith("Expect:"))
    named = re.search(r"\b[a-z]+(?:_[a-z]+)+\b", expect)
    return Solution(
        lab=lab,
        path=path,
        honest=honest,
        style=style.removeprefix("Style:").strip(),
        partial_pass=not honest and expect.strip().startswith("passed"),
        deciding_check=named.group(0) if named and not honest else "",
    )


def find_solutions(labs: list[Lab]) -> list[Solution]:
    """Every reference solution of `labs`; a lab whose folders are still empty is noted."""
    found = []
    for lab in labs:
        styles = PYTHON_STYLES / lab.kind.replace("-", "_")
        if styles.is_dir():
            found += [read_solution(lab.kind, path) for path in sorted(styles.glob("*.py"))]
        else:
            for honest, folder in ((True, "honest"), (False, "dishonest")):
                directory = VERDICTS / lab.kind / folder
                paths = sorted(directory.iterdir()) if directory.is_dir() else []
                if not paths:
                    print(f"note: no {folder} solutions in {directory.relative_to(ROOT)}")
                found += [read_solution(lab.kind, path, honest) for path in paths]
        if lab.solution is not None:
            found.append(read_solution(lab.kind, lab.solution, honest=True))
    return found


def adapter_of(kind: str) -> Adapter:
    """The language adapter that grades the lab kind `kind` (its image, its judges)."""
    return next(
        adapter for adapter in map(load_adapter, KNOWN_ADAPTERS) if kind in adapter.lab_kinds
    )


def course_labs() -> dict[str, Lab]:
    """Every lab of the courses whose labs this bench grades, by kind."""
    catalogue = load_catalogue(ROOT / "content")
    return {lab.kind: lab for course in COURSES for lab in catalogue.course(course).labs}


def with_settings(labs: dict[str, Lab], overrides: dict) -> dict[str, Lab]:
    """`labs` with `overrides` merged into each one's check_config (a lab ignores what it
    does not know: its harness clamps and picks its own settings)."""
    return {
        kind: dataclasses.replace(lab, check_config={**lab.check_config, **overrides})
        for kind, lab in labs.items()
    }


def build_request(lab: Lab, submission_id: str, path: Path) -> GradeRequest:
    """The request the portal sends for a student who typed this file into `lab`."""
    entrypoint = "main.mjs" if path.suffix == ".mjs" else lab.entrypoint  # main.py: Python
    return GradeRequest(
        schema_version=SCHEMA_VERSION,
        submission_id=submission_id,
        tenant_id="bench",
        lab_id=lab.id,
        lab_kind=lab.kind,
        files=(SubmittedFile(entrypoint, path.read_text()),),
        entrypoint=entrypoint,
        limits=lab.limits,
        check_config=dict(lab.check_config),
        queued_at=datetime.now(UTC).isoformat(),
    )


def deciding_message(solution: Solution, result: GradeResult) -> str:
    """What the check that decided (or should have decided) a wrong verdict said."""
    checks = {check.name: check for check in result.checks}
    check = checks.get(solution.deciding_check) or next(
        (check for check in result.checks if not check.passed and not check.inconclusive), None
    )
    if check is None:
        return "every check held"
    return f"{check.name}: {check.message}"


# --- the competing grader ------------------------------------------------------------


def _grade_forever(lab: Lab, image: str, stop, graded, parent: int) -> None:
    """The second grader: grade the lab's honest N-worker solution until told to stop, or
    until the bench that started it is gone (killed, it cannot tell it: an orphan went on
    grading for two hours, holding a CPU slot and loading every later measurement)."""
    runner = functools.partial(run_in_sandbox, docker.from_env(), image)
    ceilings = GraderConfig.from_env().ceilings
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches the whole process group
        while not stop.is_set() and os.getppid() == parent:
            submission_id = f"{LOAD_PREFIX}{os.getpid()}-{graded.value}"
            grade_request(build_request(lab, submission_id, lab.solution), runner, ceilings)
            graded.value += 1


@contextlib.contextmanager
def competing_grader(lab: Lab, image: str) -> Iterator[Synchronized]:
    """Run a second grading loop in its own process for the duration of the block.

    Yields the count of its finished gradings. On the way out, even on Ctrl-C, the process
    is stopped and any sandbox container it left running is removed.
    """
    context = multiprocessing.get_context("spawn")
    stop, graded = context.Event(), context.Value("i", 0)
    process = context.Process(
        target=_grade_forever, args=(lab, image, stop, graded, os.getpid()), daemon=True
    )
    process.start()
    time.sleep(3)  # let its first container start before the first measured grading
    try:
        yield graded
    finally:
        stop.set()
        process.terminate()  # do not wait for its current grading to end
        process.join(timeout=30)
        client = docker.from_env()
        for container in client.containers.list(all=True, filters={"label": SANDBOX_LABEL}):
            if container.labels.get(SUBMISSION_LABEL, "").startswith(LOAD_PREFIX):
                # 404 or 409: its own grader removed it, or is removing it right now.
                with contextlib.suppress(docker.errors.APIError):
                    container.remove(force=True, v=True)


# --- the measured grader -------------------------------------------------------------


def grade_all(
    solutions: list[Solution], labs: dict[str, Lab], rounds: int, condition: str, runtime: str
):
    """Grade every solution `rounds` times, interleaved, under the sandbox `runtime`, and
    return one record per grading."""
    config, client = GraderConfig.from_env(), docker.from_env()
    adapters = {kind: adapter_of(kind) for kind in labs}
    runners = {
        kind: functools.partial(run_in_sandbox, client, image_of(adapter, config), runtime=runtime)
        for kind, adapter in adapters.items()
    }
    records = []
    for round_number in range(rounds):
        for index, solution in enumerate(solutions):
            submission_id = f"bench-accuracy-{runtime}-{condition}-{round_number}-{index}"
            request = build_request(labs[solution.lab], submission_id, solution.path)
            started = time.monotonic()
            result = grade_request(
                request,
                runners[solution.lab],
                config.ceilings,
                adapter=adapters[solution.lab],
            )
            seconds = time.monotonic() - started
            outcome = judge(solution, result.verdict, result.score)
            records.append(
                {
                    "lab": solution.lab,
                    "class": "honest" if solution.honest else "dishonest",
                    "file": solution.path.name,
                    "style": solution.style,
                    "expected": solution.expected,
                    "verdict": result.verdict,
                    "score": round(result.score, 3),
                    "outcome": outcome,
                    "message": deciding_message(solution, result) if outcome == "wrong" else "",
                    "load_1min": os.getloadavg()[0],
                    "seconds": round(seconds, 2),
                    # Repetitions the (last) run timed, and why fewer than asked, if so.
                    "repeats": result.measurements.get("repeats"),
                    "stopped": result.measurements.get("stopped"),
                }
            )
            print(
                f"  {runtime} {condition} round {round_number + 1}/{rounds} {len(records):>4}  "
                f"{solution.lab}/{solution.path.name}: {result.verdict} -> {outcome}",
                flush=True,
            )
    return records


def image_of(adapter: Adapter, config: GraderConfig) -> str:
    """The sandbox image for `adapter`'s labs: SANDBOX_IMAGE (or PYTHON_SANDBOX_IMAGE for
    Python's) when set, as for the grader's tests, else the adapter's own."""
    if adapter.name == config.adapter:
        return config.sandbox_image
    return os.environ.get(f"{adapter.name.upper()}_SANDBOX_IMAGE") or adapter.sandbox_image


# --- the report ----------------------------------------------------------------------


def summarize(records: list[dict]) -> dict:
    """Tallies per lab and class, the totals against the targets, and each solution's verdicts."""
    groups: dict[tuple[str, str], list[str]] = {}
    seconds: dict[tuple[str, str], list[float]] = {}
    repeats: dict[tuple[str, str], Counter] = {}
    solutions: dict[tuple[str, str, str], list[dict]] = {}
    for record in records:
        groups.setdefault((record["lab"], record["class"]), []).append(record["outcome"])
        seconds.setdefault((record["lab"], record["class"]), []).append(record["seconds"])
        timed = repeats.setdefault((record["lab"], record["class"]), Counter())
        if record.get("repeats") is not None:
            timed[str(record["repeats"])] += 1
        solutions.setdefault((record["lab"], record["class"], record["file"]), []).append(record)
    totals = tally([record["outcome"] for record in records])
    return {
        "rows": [
            {
                "lab": lab,
                "class": cls,
                **tally(outcomes),
                "median_seconds": round(statistics.median(seconds[lab, cls]), 1),
                # How many gradings timed how many repetitions ({"2": 5, "3": 2}).
                "repeats": dict(sorted(repeats[lab, cls].items())),
            }
            for (lab, cls), outcomes in groups.items()
        ],
        "totals": totals,
        "targets": targets_met(totals),
        "solutions": [
            {
                "lab": lab,
                "class": cls,
                "file": name,
                "style": gradings[0]["style"],
                "expected": gradings[0]["expected"],
                "verdicts": dict(Counter(grading["verdict"] for grading in gradings)),
                "scores": sorted({grading["score"] for grading in gradings}),
                "wrong": sum(grading["outcome"] == "wrong" for grading in gradings),
                "messages": sorted({grading["message"] for grading in gradings} - {""}),
            }
            for (lab, cls, name), gradings in solutions.items()
        ],
    }


def print_summary(condition: str, summary: dict) -> None:
    """The accuracy table, the targets, and the per-solution list."""
    print(f"\nverdict accuracy, {condition}")
    header = f"{'lab':<18}{'class':<11}{'gradings':>9}{'right':>8}{'inconcl.':>9}{'wrong':>8}"
    print(header + f"{'infra_err':>10}{'s/grading':>10}  repetitions timed: gradings")
    for row in [*summary["rows"], {"lab": "total", "class": "", **summary["totals"]}]:
        timed = ", ".join(f"{count}: {times}" for count, times in row.get("repeats", {}).items())
        print(
            f"{row['lab']:<18}{row['class']:<11}{row['gradings']:>9}{row['right']:>8.0%}"
            f"{row['inconclusive']:>9.0%}{row['wrong']:>8.0%}{row['infra_error']:>10}"
            f"{row.get('median_seconds', ''):>10}  {timed}"
        )
    for target, met in summary["targets"].items():
        print(f"  target {target:<28} {'met' if met else 'MISSED'}")
    print("\nper solution (verdicts seen; for wrong ones, the deciding check's message)")
    for solution in summary["solutions"]:
        seen = ", ".join(f"{verdict} x{count}" for verdict, count in solution["verdicts"].items())
        flag = "WRONG " if solution["wrong"] else ""
        print(f"  {flag}{solution['lab']}/{solution['class']}/{solution['file']}")
        print(f"      style: {solution['style']}")
        print(f"      expected {solution['expected']}; seen {seen}; scores {solution['scores']}")
        for message in solution["messages"]:
            print(f"      wrong because {message}")


def print_side_by_side(summaries: dict[str, dict]) -> None:
    """Each runtime's right / inconclusive / wrong shares under the same load, per lab and
    class and in total, one column per runtime."""
    print("\nverdict accuracy under load by sandbox runtime: right / inconclusive / wrong")
    print(f"{'':<30}" + "".join(f"{runtime:>20}" for runtime in summaries))
    groups = sorted({(row["lab"], row["class"]) for s in summaries.values() for row in s["rows"]})
    for lab, cls in [*groups, ("total", "")]:
        cells = ""
        for summary in summaries.values():
            rows = [*summary["rows"], {"lab": "total", "class": "", **summary["totals"]}]
            row = next((r for r in rows if (r["lab"], r["class"]) == (lab, cls)), None)
            shares = (
                f"{row['right']:.0%} / {row['inconclusive']:.0%} / {row['wrong']:.0%}"
                if row
                else "-"
            )
            cells += f"{shares:>20}"
        print(f"{lab + ' ' + cls:<30}{cells}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="gradings per solution (2: about 20 min a runtime on 2 cores)",
    )
    parser.add_argument("--labs", nargs="+", choices=LABS, default=list(LABS), metavar="LAB")
    parser.add_argument("--quiet-too", action="store_true", help="also grade once without load")
    parser.add_argument(
        "--runtimes",
        nargs="+",
        choices=SANDBOX_RUNTIMES,
        help="sandbox runtimes to measure (default: runc, and runsc when the Engine has it)",
    )
    parser.add_argument(
        "--check-config",
        type=json.loads,
        default={},
        help="settings (JSON) merged into every lab's check_config, the competitor's too",
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "out" / "verdict_accuracy.json"
    )
    args = parser.parse_args()

    every_lab = with_settings(course_labs(), args.check_config)
    labs = {kind: lab for kind, lab in every_lab.items() if kind in args.labs}
    solutions = find_solutions(list(labs.values()))
    image = GraderConfig.from_env().sandbox_image
    figures: dict[str, object] = {
        "image": image,
        "measured_at": datetime.now(UTC).isoformat(),
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "check_config": args.check_config,
    }
    runtimes = args.runtimes or engine_runtimes()
    figures["runtimes"] = runtimes
    load_lab = every_lab[LOAD_LAB]
    for runtime in runtimes:
        measured: dict[str, object] = {}
        if args.quiet_too:
            measured["quiet"] = summarize(grade_all(solutions, labs, args.rounds, "quiet", runtime))
        with competing_grader(load_lab, image) as competing:
            records = grade_all(solutions, labs, args.rounds, "loaded", runtime)
        measured["competing_gradings"] = competing.value
        measured["load_average_1min_median"] = statistics.median(r["load_1min"] for r in records)
        measured["loaded"] = summarize(records)
        figures[runtime] = measured

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    for runtime in runtimes:
        measured = figures[runtime]
        if args.quiet_too:
            print_summary(f"{runtime}, quiet host", measured["quiet"])
        print_summary(
            f"{runtime}, under load: a second grader (runc) graded "
            f"{measured['competing_gradings']} times meanwhile; median 1-min load average "
            f"{measured['load_average_1min_median']} on {os.cpu_count()} CPUs",
            measured["loaded"],
        )
    if len(runtimes) > 1:
        print_side_by_side({runtime: figures[runtime]["loaded"] for runtime in runtimes})
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the competing grader and its containers are already gone
        sys.exit("interrupted: nothing written")
