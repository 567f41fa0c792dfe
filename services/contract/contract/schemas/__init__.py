"""JSON Schemas of the messages and of the sandbox harness's report.

They document the wire format for anyone who writes a grader or a portal in another
language; the tests check that what the codec writes validates against them.
"""

import json
from importlib import resources
from typing import Any

SCHEMA_NAMES = (
    "grade-request",
    "grade-result",
    "grade-result-v1",
    "harness-report",
    "run-request",
    "run-result",
)


def load_schema(name: str) -> dict[str, Any]:
    """Return the JSON Schema called `name` (one of SCHEMA_NAMES)."""
    if name not in SCHEMA_NAMES:
        raise KeyError(f"no schema called {name!r}; known: {', '.join(SCHEMA_NAMES)}")
    text = resources.files(__package__).joinpath(f"{name}.json").read_text("utf-8")
    return json.loads(text)
