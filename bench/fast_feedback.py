"""Fast feedback (issue 16): its four figures beside their targets, read from what the
benches of this `make bench` wrote to bench/out/.

1. verdict on screen      bench/verdict_push.py    push p50, its ratio to the grading time,
                                                   the page rate with 200 pages waiting
2. measured labs sooner   bench/measured_labs.py   time to verdict, now / before
3. grading near the floor bench/grading.py         overhead p50 and throughput (Node)
4. a newcomer's first run bench/first_run.py       seconds to the first page

A figure whose bench did not write its file says so; nothing is measured here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def read(name: str) -> dict | None:
    path = OUT / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def rows() -> list[tuple[str, object, str, bool | None]]:
    """(figure, value, target, met) for each figure; value None when it was not measured."""
    found: list[tuple[str, object, str, bool | None]] = []
    push = read("verdict_push")
    if push:
        pushed, waiting = push["verdict"]["push"], push["waiting"]
        found += [
            ("1 push p50, s", pushed["p50_seconds"], "<= 1.0", pushed["p50_seconds"] <= 1.0),
            (
                "1 push p50 / grading p50",
                pushed["to_grading_ratio"],
                "<= 1.3",
                pushed["to_grading_ratio"] <= 1.3,
            ),
            (
                "1 page rate, 200 waiting / none",
                waiting["rate_ratio"],
                ">= 0.9, no stream refused",
                waiting["rate_ratio"] >= 0.9 and not any(waiting.get("refused_streams", [1])),
            ),
        ]
    else:
        found.append(("1 verdict on screen", None, "bench/verdict_push.py", None))
    sooner = read("measured_labs")
    if sooner:
        for kind, lab in sooner["labs"].items():
            met = lab["ratio"] <= sooner["target_ratio"] and lab["all_passed"]
            found.append((f"2 {kind} now / before", lab["ratio"], "<= 0.70, all passed", met))
    else:
        found.append(("2 measured labs sooner", None, "bench/measured_labs.py", None))
    grading = read("grading")
    node = grading.get("node") if grading else None
    if node:
        p50, throughput = node["overhead_ratio_p50"], node["throughput_ratio"]
        found += [
            ("3 overhead p50 / docker run", p50, "<= 1.05", p50 <= 1.05),
            ("3 throughput / docker run", throughput, ">= 0.95", throughput >= 0.95),
        ]
    else:
        found.append(("3 grading near the floor", None, "bench/grading.py", None))
    first = read("first_run")
    if first:
        page = first["first_page_seconds"]
        met = page is not None and page <= first["target_seconds"]
        shown = page if page is not None else "never"
        found.append(("4 first page, s", shown, f"<= {first['target_seconds']}", met))
    else:
        found.append(("4 a newcomer's first run", None, "bench/first_run.py", None))
    return found


def main() -> int:
    print("fast feedback (issue 16), from bench/out/:")
    print(f"  {'figure':<34} {'value':>8}   target")
    for figure, value, target, met in rows():
        if value is None:
            print(f"  {figure:<34} {'-':>8}   not measured: run {target}")
            continue
        print(f"  {figure:<34} {value!s:>8}   {target}: {'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
