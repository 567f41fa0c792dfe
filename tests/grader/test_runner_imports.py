"""The runner imports no language adapter: it loads the configured one when it needs it.

Checked at run time, in a fresh interpreter with GRADER_ADAPTER unset: every runner module
(every module of the `grader` package outside grader.adapters, found by walking the package,
so a new one is covered too) is imported, and neither an adapter module nor a language's
parser (tree-sitter) may be loaded by that.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys

import grader

PROBE = """
import importlib, json, sys
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
language = ("grader.adapters", "tree_sitter")
print(json.dumps(sorted(name for name in sys.modules if name.startswith(language))))
"""


def runner_modules() -> list[str]:
    modules = [
        info.name
        for info in pkgutil.walk_packages(grader.__path__, "grader.")
        if not info.name.startswith("grader.adapters")
    ]
    assert {"grader.pipeline", "grader.trial", "grader.worker", "grader.cli"} <= set(modules)
    return modules


def test_importing_the_runner_loads_no_adapter():
    env = {key: value for key, value in os.environ.items() if key != "GRADER_ADAPTER"}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(runner_modules())],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(probe.stdout) == []
