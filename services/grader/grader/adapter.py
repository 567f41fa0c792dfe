"""What the language-neutral runner needs from one language: the adapter interface.

A grader service is the runner (sandbox run, limits, RQ job, publish, janitor, verdict core,
report envelope) plus one adapter, its sandbox image and its queue, all named by
configuration. The adapter holds everything that depends on the language: what the source
says (parsed, never grepped), how the files must be named to run, the lab kinds, the part of
the harness's report only its harness writes, and the sentences that name its runtime.

The runner never imports an adapter's modules: it loads the one GRADER_ADAPTER names, by
import path, when it first needs it. So a new language is a new package that defines
`ADAPTER` (plus its sandbox image and content), with no edit to the runner: set
GRADER_ADAPTER to its import path, or add its short name to KNOWN_ADAPTERS.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from contract import Limits
from grader.lab_kind import LabKind
from grader.verdict import HeapLimit

ADAPTER_ENV = "GRADER_ADAPTER"
DEFAULT_ADAPTER = "node"
# Short names of the adapters shipped with the grader -> the module that defines ADAPTER.
# Any other GRADER_ADAPTER value is taken as such a module's import path.
KNOWN_ADAPTERS = {"node": "grader.adapters.node", "python": "grader.adapters.python"}


class AdapterError(ValueError):
    """GRADER_ADAPTER names no adapter: the grader cannot start."""


class Prepared(NamedTuple):
    """The files as they must run, and what the source says (the lab's judge reads it)."""

    files: dict[str, str]  # path -> text, possibly renamed (Node: ES modules become .mjs)
    entrypoint: str  # the entrypoint's name after renaming
    facts: Any  # the adapter's source facts, handed back to its own lab kinds' judges


@dataclass(frozen=True)
class Sentences:
    """What A.D.A. says about how a program ended, in the words of its language."""

    # `exits_cleanly` holds although the grader stopped a program that did its job but kept
    # running: why it kept running, and how to end it.
    kept_running: str
    # The same ending, said as the outcome of an ungraded Run.
    kept_running_run: str


@dataclass(frozen=True)
class Adapter:
    """One language's part of a grader service."""

    name: str  # e.g. "node": logs, the CLI and error messages name it
    lab_kinds: Mapping[str, LabKind]  # lab kind name (content's `kind:`) -> how to grade it
    # (files, entrypoint) -> the files as they must run, their entrypoint and the source facts.
    # Runs in the grader's process before any container starts: it reads, never executes.
    prepare: Callable[[dict[str, str], str], Prepared]
    # The report's fields beyond the runner's envelope -> the adapter's checked details
    # (HarnessReport.details); raises grader.report.ReportError when they are malformed.
    read_details: Callable[[Mapping[str, Any]], Any]
    sandbox_image: str  # the default image; SANDBOX_IMAGE overrides it
    # The least a legitimate program of this language needs (its runtime's own threads and
    # memory): no request is clamped below it.
    floors: Limits
    ipc_mode: str  # Docker's IPC mode: "none" unless the runtime needs /dev/shm
    sentences: Sentences
    # The CLI's file name -> the entrypoint's name in the sandbox (e.g. "x.mjs" -> "main.mjs").
    entrypoint_name: Callable[[str], str]
    # How the runtime says its own heap ran out before the container's limit, if it can.
    heap_limit: HeapLimit | None = None

    def lab_kind(self, name: str) -> LabKind:
        """The lab kind called `name`, or KeyError naming the kinds this adapter knows."""
        if name not in self.lab_kinds:
            known = ", ".join(sorted(self.lab_kinds))
            raise KeyError(f"unknown lab kind {name!r}; known: {known}")
        return self.lab_kinds[name]


@functools.cache
def load_adapter(name: str) -> Adapter:
    """The adapter called `name` (a short name or an import path), imported on first use."""
    module_name = KNOWN_ADAPTERS.get(name, name)
    known = ", ".join(sorted(KNOWN_ADAPTERS))
    unknown = AdapterError(
        f"{ADAPTER_ENV}={name!r} names no adapter; known: {known} "
        "(or the import path of a module that defines ADAPTER)"
    )
    if not all(part.isidentifier() for part in module_name.split(".")):
        raise unknown
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        # Only a missing module is the operator's mistake; a broken adapter raises on.
        if not isinstance(error, ModuleNotFoundError) or not _is_missing(module_name, error):
            raise
        raise unknown from error
    adapter = getattr(module, "ADAPTER", None)
    if not isinstance(adapter, Adapter):
        raise AdapterError(
            f"{ADAPTER_ENV}={name!r} names no adapter ({module_name} defines no ADAPTER); "
            f"known: {known}"
        )
    return adapter


def adapter_name(environ: Mapping[str, str] | None = None) -> str:
    """The adapter the environment names (GRADER_ADAPTER), by default Node's."""
    env = os.environ if environ is None else environ
    return env.get(ADAPTER_ENV) or DEFAULT_ADAPTER


def configured_adapter(environ: Mapping[str, str] | None = None) -> Adapter:
    """The adapter the environment names, loaded."""
    return load_adapter(adapter_name(environ))


def _is_missing(module_name: str, error: ModuleNotFoundError) -> bool:
    """Whether `error` says `module_name` (or a package above it) does not exist, rather than
    that the adapter itself imports something missing."""
    missing = error.name or ""
    return module_name == missing or module_name.startswith(f"{missing}.")
