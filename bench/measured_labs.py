"""Measured labs sooner: time to verdict of Unblock the Loop and Spawn vs Exec, with the
labs' stopping rules and without, measured in the same run.

Target (issue 16, 2): at least 30% less time to verdict, with no loss of verdict accuracy.

Each lab's course reference solution is graded through the real pipeline and sandbox, as
the portal would send it, `--samples` times each way, the two ways alternating so that a
busier minute of the host weighs on both:

  now     the lab's check_config as the course ships it
  before  the same image with `BEFORE`: every repetition asked is timed (Unblock the
          Loop's `stop_when_decided` off) and the grader's exec solution runs three times
          (Spawn vs Exec's `reference_repeats`), as the labs ran before they stopped once
          decided

The figure is the ratio of the medians (now / before, from `grade_request`'s start to its
result, the grader's own work). The baseline keeps what cannot be switched off (the
shorter pauses between Unblock's runs and Spawn's cheaper log generator), so the ratio
understates the gain against the older image. Verdict accuracy is the other half of the
target and `bench/verdict_accuracy.py`'s table (under load, every honest and dishonest
solution); here each grading's verdict is shown, and every one must pass. Writes
bench/out/measured_labs.json.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import docker
from verdict_accuracy import COURSE, build_request, with_settings

from grader.config import GraderConfig
from grader.pipeline import grade_request
from grader.sandbox import run_in_sandbox
from portal.catalogue.loader import load_catalogue

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "measured_labs.json"
LABS = ("unblock-the-loop", "spawn-vs-exec")
BEFORE = {"stop_when_decided": 0, "reference_repeats": 3}
TARGET_RATIO = 0.70  # at least 30% less time to verdict


def measure(samples: int) -> dict:
    config = GraderConfig.from_env()
    runner = functools.partial(run_in_sandbox, docker.from_env(), config.sandbox_image)
    course = load_catalogue(ROOT / "content").course(COURSE)
    shipped = {lab.kind: lab for lab in course.labs if lab.kind in LABS}
    ways = {"now": shipped, "before": with_settings(shipped, BEFORE)}
    figures: dict = {"image": config.sandbox_image, "samples": samples, "labs": {}}
    for kind in LABS:
        seconds: dict[str, list[float]] = {"now": [], "before": []}
        verdicts: dict[str, list[str]] = {"now": [], "before": []}
        for sample in range(samples):
            order = ("now", "before") if sample % 2 == 0 else ("before", "now")
            for way in order:
                lab = ways[way][kind]
                request = build_request(lab, f"bench-sooner-{kind}-{way}-{sample}", lab.solution)
                started = time.monotonic()
                result = grade_request(request, runner, config.ceilings)
                seconds[way].append(time.monotonic() - started)
                verdicts[way].append(result.verdict)
                print(f"  {kind} {way:<6} {seconds[way][-1]:6.2f} s  {result.verdict}", flush=True)
        medians = {way: statistics.median(values) for way, values in seconds.items()}
        figures["labs"][kind] = {
            "median_seconds": {way: round(value, 2) for way, value in medians.items()},
            "ratio": round(medians["now"] / medians["before"], 3),
            "verdicts": verdicts,
            "all_passed": all(v == "passed" for way in verdicts.values() for v in way),
        }
    return figures


def report(figures: dict) -> None:
    print(f"{'lab':<20} {'before s':>9} {'now s':>7} {'ratio':>6}   target")
    for kind, lab in figures["labs"].items():
        median = lab["median_seconds"]
        met = lab["ratio"] <= TARGET_RATIO and lab["all_passed"]
        print(
            f"{kind:<20} {median['before']:>9} {median['now']:>7} {lab['ratio']:>6}   "
            f"<= {TARGET_RATIO} and every verdict passed: {'met' if met else 'MISSED'}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5, help="gradings per lab and way")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    started = datetime.now().astimezone().isoformat()
    figures = measure(args.samples) | {
        "measured_at": started,
        "load_1min_at_end": round(os.getloadavg()[0], 2),
        "before": BEFORE,
        "target_ratio": TARGET_RATIO,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    report(figures)
    print(f"(written to {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
