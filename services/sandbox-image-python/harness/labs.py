"""Labs graded from measurements: which driver runs, and what its measurements become.

Most runs execute the student's entry file as the program. A lab kind with a folder
/opt/labs/<kind>/ holding `driver.py` runs that driver instead: the driver imports the
student's file as a module, calls the functions the lab names, measures each call and
writes one JSON line per fact or timed run to a pipe of the harness's (the *channel*, fd
given as `--channel-fd N`), never to stdout, where the student's output goes. The lab's
`lab.py`, loaded here, turns the driver's settings from check_config and its lines into
the report's measurements. A port of the Node harness's labs.js.
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from cgroup import read_cgroup, with_job_limits

LABS_DIR = Path(__file__).resolve().parent.parent / "labs"
LAB_KIND = re.compile(r"^[a-z][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class Lab:
    """A driven lab: its driver, its summary module and its settings for this run."""

    kind: str
    driver_path: Path
    definition: ModuleType  # labs/<kind>/lab.py: settings() and summarise()
    settings: dict[str, Any]


def find_lab(
    lab_kind: str,
    check_config: dict[str, Any],
    wall_seconds: float,
    limits: dict[str, Any] | None = None,
) -> Lab | None:
    """The driven lab for `lab_kind`, or None when the kind runs the entry as a script."""
    if not LAB_KIND.match(lab_kind):
        return None
    folder = LABS_DIR / lab_kind
    driver_path = folder / "driver.py"
    if not driver_path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(
        f"lab_{lab_kind.replace('-', '_')}", folder / "lab.py"
    )
    if spec is None or spec.loader is None:
        raise RuntimeError(f"lab {lab_kind} has a driver but no lab.py")
    definition = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(definition)
    settings = definition.settings(check_config)
    # The driver runs as the student does and could read these itself; passing them keeps
    # one reading of the quota (cgroup.py) for the whole report.
    settings["wall_seconds"] = wall_seconds
    settings["cpu_quota_cpus"] = with_job_limits(read_cgroup(), limits)["cpu_quota_cpus"]
    return Lab(lab_kind, driver_path, definition, settings)


def driver_arguments(lab: Lab, entry_path: str, channel_fd: int) -> list[str]:
    """The driver's command-line arguments after the interpreter's flags."""
    return [
        str(lab.driver_path),
        entry_path,
        json.dumps(lab.settings),
        "--channel-fd",
        str(channel_fd),
    ]


def parse_channel(data: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The driver's facts (merged) and timed runs (in order) from its channel lines.

    A line that is not a JSON object {"k": "fact"|"run", "v": {...}} is skipped: a line cut
    short when the driver was killed must not cost the lines before it.
    """
    facts: dict[str, Any] = {}
    runs: list[dict[str, Any]] = []
    for line in data.split(b"\n"):
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict) or not isinstance(message.get("v"), dict):
            continue
        if message.get("k") == "fact":
            facts.update(message["v"])
        elif message.get("k") == "run":
            runs.append(message["v"])
    return facts, runs


def lab_measurements(lab: Lab, channel: bytes, base: dict[str, Any]) -> dict[str, Any]:
    """The report's measurements: `base` (quota, throttling) and the lab's summary."""
    facts, runs = parse_channel(channel)
    summary = lab.definition.summarise(facts, runs, lab.settings)
    return {**base, **summary}


def clamp_settings(
    check_config: dict[str, Any], defaults: dict[str, int], bounds: dict[str, tuple[int, int]]
) -> dict[str, int]:
    """Integer settings from check_config, each held within its bounds, else the default.

    Course content is trusted less than code: a lab's lab.py calls this in settings().
    """
    chosen = {}
    for name, fallback in defaults.items():
        value = check_config.get(name)
        low, high = bounds[name]
        valid = isinstance(value, int) and not isinstance(value, bool)
        chosen[name] = min(high, max(low, value)) if valid else fallback
    return chosen
