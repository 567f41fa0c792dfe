"""Labs graded from measurements: which driver runs, and what its measurements become.

Most runs execute the student's entry file as the program. A lab kind with a folder
/opt/labs/<kind>/ holding `driver.py` runs that driver instead: the driver imports the
student's file as a module, calls the functions the lab names, measures each call and
writes one JSON line per fact or timed run to a pipe of the harness's (the *channel*, fd
given as `--channel-fd N`), never to stdout, where the student's output goes. The lab's
`lab.py`, loaded here, turns the driver's settings from check_config and its lines into
the report's measurements. A port of the Node harness's labs.js.

Each channel line is signed (labs/driver_kit.py, `Channel`): `<HMAC-SHA256 hex> <JSON>`,
the JSON numbered from 0, under a random key made here for this run and handed to the
driver on a pipe of its own (`--key-fd K`), read and closed before any student code runs.
Under gVisor the student can open the channel through /proc (a non-dumpable process's fd/
stays open to its uid there), so a line that does not verify, or comes out of its order,
means the channel was tampered with: the run is measured as nothing but `channel_forged`.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from cgroup import read_cgroup, with_job_limits

LABS_DIR = Path(__file__).resolve().parent.parent / "labs"
LAB_KIND = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
KEY_BYTES = 32
FORGED = {
    "problem": "channel_forged",
    "problem_detail": "the channel from the lab's driver carried a line the driver did not "
    "write, so none of its measurements can be trusted",
}


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


def driver_arguments(lab: Lab, entry_path: str, channel_fd: int, key_fd: int) -> list[str]:
    """The driver's command-line arguments after the interpreter's flags."""
    return [
        str(lab.driver_path),
        entry_path,
        json.dumps(lab.settings),
        "--channel-fd",
        str(channel_fd),
        "--key-fd",
        str(key_fd),
    ]


def channel_key() -> tuple[bytes, int]:
    """(a fresh key for the channel's signatures, the read end of a pipe holding it).

    The key is written whole and the write end closed: the driver reads it to its end.
    It is never in argv, the environment or a file.
    """
    key = secrets.token_bytes(KEY_BYTES)
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, key)  # far below a pipe's buffer: written at once
    finally:
        os.close(write_end)
    return key, read_end


def parse_channel(data: bytes, key: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The driver's facts (merged) and timed runs (in order) from its signed channel lines.

    Every complete line must carry the driver's signature of its JSON under `key` and the
    next number; anything else means somebody else wrote to the channel (or took a line
    from it), and the run is `FORGED`: no fact and no run of it is kept. Only a last line
    without its newline is skipped: the driver was killed while writing it, and that must
    not cost the lines before it.
    """
    facts: dict[str, Any] = {}
    runs: list[dict[str, Any]] = []
    lines = data.split(b"\n")
    for number, line in enumerate(lines[:-1]):  # the last piece has no newline: cut short
        message = _verified(line, key, number)
        if message is None:
            return dict(FORGED), []
        if message["k"] == "fact":
            facts.update(message["v"])
        else:
            runs.append(message["v"])
    return facts, runs


def _verified(line: bytes, key: bytes, number: int) -> dict[str, Any] | None:
    """The line's message when the driver signed it as line `number`, else None."""
    signature, _, body = line.partition(b" ")
    expected = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(signature, expected):
        return None
    try:
        message = json.loads(body)
    except ValueError:
        return None
    if (
        not isinstance(message, dict)
        or message.get("n") != number
        or message.get("k") not in ("fact", "run")
        or not isinstance(message.get("v"), dict)
    ):
        return None
    return message


def lab_measurements(lab: Lab, channel: bytes, key: bytes, base: dict[str, Any]) -> dict[str, Any]:
    """The report's measurements: `base` (quota, throttling) and the lab's summary."""
    facts, runs = parse_channel(channel, key)
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
