"""Measured labs sooner: time to verdict of Unblock the Loop and Spawn vs Exec, now against
before issue 16's work, measured in the same run.

Target (issue 16, 2): at least 30% less time to verdict, with no loss of verdict accuracy.

Each lab's course reference solution is graded through today's grader pipeline, as the
portal would send it, `--samples` times each way, the two ways alternating so that a busier
minute of the host weighs on both:

  now     the sandbox image under test (SANDBOX_IMAGE) with the lab's check_config as the
          course ships it
  before  the sandbox image of BEFORE_COMMIT, the state before the issue's work, with the
          check_config `BEFORE`: every repetition asked is timed (Unblock the Loop's
          `stop_when_decided` off) and the grader's exec solution runs three times (Spawn
          vs Exec's `reference_repeats`), as the labs ran then. That image knows neither
          setting (its harness keeps only the settings it has defaults for): it had no
          stopping rule, and its Spawn driver ran the exec solution `repeats` times, three
          by default: the settings change nothing there, and are sent so that "before"
          keeps its meaning should BEFORE_COMMIT move to an image that knows them. What no
          setting switches off comes back with that image's drivers: the longer pauses
          between Unblock's timed calls, Spawn's dearer log generator.

The before image is tagged BEFORE_IMAGE; when the tag is absent, the bench builds it first
from the commit's own sandbox sources (`git archive`: its Dockerfile, harness and drivers)
on the base today's image is built on (scripts/build-sandbox-image.sh with SANDBOX_CONTEXT:
the official node:22 image, or its offline equivalent where no registry answers), so that
the two ways differ in the issue's work alone, not in their Node: seconds, once (the image
adds only the harness and the drivers to the base). That needs the commit in this clone: a
shallow clone fails here with a message saying so.

The figure is the ratio of the medians (now / before, from `grade_request`'s start to its
result, the grader's own work). Verdict accuracy is the other half of the target and
`bench/verdict_accuracy.py`'s table (under load, every honest and dishonest solution); here
each grading's verdict is shown, and every one must pass. Writes
bench/out/measured_labs.json.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
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
# The last commit before issue 16's work on the labs (`git rev-parse d75b714`), and the tag its
# sandbox image is built under. The tag stands for this commit on today's base (Node 22):
# pinning another commit or base needs a new tag, or the image built before would be measured.
BEFORE_COMMIT = "d75b714341dd11e2dfbf5fa37bc0bee35abc6c76"
BEFORE_IMAGE = "course-sandbox-node:before-16-node22"
BUILD_SCRIPT = ROOT / "scripts" / "build-sandbox-image.sh"
TARGET_RATIO = 0.70  # at least 30% less time to verdict


@contextlib.contextmanager
def source_tree(commit: str, repository: Path = ROOT) -> Iterator[Path]:
    """`commit`'s files, checked out in a temporary directory for as long as the block runs.

    `git archive` rather than a worktree: the repository keeps no trace of it, even when the
    bench is killed halfway."""
    known = subprocess.run(
        ["git", "-C", str(repository), "cat-file", "-e", f"{commit}^{{commit}}"],
        capture_output=True,
    )
    if known.returncode != 0:
        raise SystemExit(
            f"measured_labs: commit {commit}, whose sandbox image is the 'before' of this "
            f"bench, is not in the repository at {repository} (a shallow clone?): fetch the "
            "history (`git fetch --unshallow`), or build that image elsewhere and tag it "
            f"{BEFORE_IMAGE}"
        )
    with tempfile.TemporaryDirectory(prefix="measured-labs-before-") as scratch:
        tree = Path(scratch) / "tree"
        tree.mkdir()
        archive = Path(scratch) / "tree.tar"
        # Modes 0644 and 0755 whatever this user's umask: the image's Dockerfile copies them
        # as they are, and the sandbox's user must be able to read the harness.
        subprocess.run(
            ["git", "-C", str(repository), "-c", "tar.umask=022", "archive"]
            + ["--output", str(archive), commit],
            check=True,
        )
        subprocess.run(["tar", "-xpf", str(archive), "-C", str(tree)], check=True)
        yield tree


def before_image(client: docker.DockerClient, tag: str = BEFORE_IMAGE) -> str:
    """The id of the before image, built from BEFORE_COMMIT's sources when `tag` is absent."""
    with contextlib.suppress(docker.errors.ImageNotFound):
        return client.images.get(tag).id
    print(f"building the before image {tag} from commit {BEFORE_COMMIT[:7]} ...", flush=True)
    started = time.monotonic()
    with source_tree(BEFORE_COMMIT) as tree:
        context = tree / "services" / "sandbox-image"
        subprocess.run(
            [str(BUILD_SCRIPT), "node", tag],
            env=os.environ | {"SANDBOX_CONTEXT": str(context)},
            check=True,
        )
    try:
        image = client.images.get(tag)
    except docker.errors.ImageNotFound:
        raise SystemExit(f"measured_labs: building {tag} left no such image") from None
    print(f"building the before image {tag}: done in {time.monotonic() - started:.0f} s")
    return image.id


def measure(samples: int) -> dict:
    config = GraderConfig.from_env()
    client = docker.from_env()
    before_id = before_image(client)
    runners = {
        "now": functools.partial(run_in_sandbox, client, config.sandbox_image),
        "before": functools.partial(run_in_sandbox, client, BEFORE_IMAGE),
    }
    course = load_catalogue(ROOT / "content").course(COURSE)
    shipped = {lab.kind: lab for lab in course.labs if lab.kind in LABS}
    ways = {"now": shipped, "before": with_settings(shipped, BEFORE)}
    figures: dict = {
        "image": config.sandbox_image,
        "before_image": BEFORE_IMAGE,
        "before_image_id": before_id,
        "before_commit": BEFORE_COMMIT,
        "samples": samples,
        "labs": {},
    }
    for kind in LABS:
        seconds: dict[str, list[float]] = {"now": [], "before": []}
        verdicts: dict[str, list[str]] = {"now": [], "before": []}
        for sample in range(samples):
            order = ("now", "before") if sample % 2 == 0 else ("before", "now")
            for way in order:
                lab = ways[way][kind]
                request = build_request(lab, f"bench-sooner-{kind}-{way}-{sample}", lab.solution)
                started = time.monotonic()
                result = grade_request(request, runners[way], config.ceilings)
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
    print(f"now:    {figures['image']}, check_config as shipped")
    print(
        f"before: {figures['before_image']} (commit {figures['before_commit'][:7]}), "
        f"check_config + {json.dumps(figures['before'])}"
    )
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
