"""Turn messages into JSON-ready dicts and back, refusing anything malformed.

Every process validates a message where it arrives (`decode`), so a bad payload fails
loudly at the edge instead of deep inside a grader or a database write.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, TypeVar

from contract.messages import (
    GRADE_RESULT_VERSION,
    GRADE_RESULT_VERSIONS,
    RUN_OUTCOMES,
    RUN_RESULT_VERSION,
    RUN_RESULT_VERSIONS,
    STATUS_FALLBACKS,
    STATUS_SINCE,
    SUPPORTED_VERSIONS,
    VERDICTS,
    GradeRequest,
    GradeResult,
    RunRequest,
    RunResult,
)

# Fields a GradeResult gained in version 2: left out when answering a version-1 reader.
GRADE_RESULT_V2_FIELDS = ("findings", "diagnoses", "charts")
CHART_ROLES = ("baseline", "measured")
CHART_OUTCOMES = ("", "held", "did_not_hold", "not_judged")

T = TypeVar("T")


class MessageError(ValueError):
    """A payload is not a valid message: its text says which field and why."""


def encode(message: Any) -> dict[str, Any]:
    """Return a JSON-ready dict of a message dataclass (tuples become lists)."""
    return _to_plain(dataclasses.asdict(message))


def result_version_for(request: GradeRequest | RunRequest) -> int:
    """The result version to answer `request` in (a GradeResult's for a GradeRequest, a
    RunResult's for a RunRequest): the highest both sides know."""
    versions = RUN_RESULT_VERSIONS if isinstance(request, RunRequest) else GRADE_RESULT_VERSIONS
    known = [v for v in request.result_versions if v in versions]
    return max(known, default=1)


def encode_grade_result(result: GradeResult, version: int = GRADE_RESULT_VERSION) -> dict:
    """`result` as a reader of GradeResult `version` expects it (1, 2 or 3)."""
    if version not in GRADE_RESULT_VERSIONS:
        raise MessageError(f"GradeResult: cannot write schema_version {version!r}")
    verdict = _status_for(result.verdict, "GradeResult", version)
    wire = encode(dataclasses.replace(result, schema_version=version, verdict=verdict))
    if version == 1:
        for name in GRADE_RESULT_V2_FIELDS:
            del wire[name]
    return wire


def encode_run_result(result: RunResult, version: int = RUN_RESULT_VERSION) -> dict:
    """`result` as a reader of RunResult `version` expects it (1 or 2)."""
    if version not in RUN_RESULT_VERSIONS:
        raise MessageError(f"RunResult: cannot write schema_version {version!r}")
    outcome = _status_for(result.outcome, "RunResult", version)
    return encode(dataclasses.replace(result, schema_version=version, outcome=outcome))


def _status_for(status: str, message: str, version: int) -> str:
    """The status a reader of `version` knows: a newer one becomes what it showed before."""
    if version < STATUS_SINCE.get(status, {}).get(message, 1):
        return STATUS_FALLBACKS[status]
    return status


def decode(message_type: type[T], data: Any) -> T:
    """Build `message_type` from a decoded JSON payload, or raise MessageError."""
    if not isinstance(data, dict):
        raise MessageError(f"{message_type.__name__}: expected an object")
    version = data.get("schema_version")
    supported = {GradeResult: GRADE_RESULT_VERSIONS, RunResult: RUN_RESULT_VERSIONS}.get(
        message_type, SUPPORTED_VERSIONS
    )
    if version not in supported:
        raise MessageError(
            f"{message_type.__name__}: unsupported schema_version {version!r} "
            f"(supported: {sorted(supported)})"
        )
    message = _build(message_type, data, message_type.__name__)
    _check_semantics(message)
    return message


def _to_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _to_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_to_plain(item) for item in value]
    return value


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise MessageError(f"{where}: expected an object")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for spec in dataclasses.fields(cls):
        name = spec.name
        if name not in data:
            has_default = (
                spec.default is not dataclasses.MISSING
                or spec.default_factory is not dataclasses.MISSING
            )
            if has_default:
                continue
            raise MessageError(f"{where}: missing field {name!r}")
        kwargs[name] = _convert(hints[name], data[name], f"{where}.{name}")
    return cls(**kwargs)


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where)
    if origin is tuple:
        item_type = typing.get_args(hint)[0]
        if not isinstance(value, list | tuple):
            raise MessageError(f"{where}: expected a list")
        return tuple(_convert(item_type, item, f"{where}[{i}]") for i, item in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise MessageError(f"{where}: expected an object")
        item_type = typing.get_args(hint)[1] if typing.get_args(hint) else typing.Any
        if item_type is typing.Any:
            return dict(value)
        return {key: _convert(item_type, item, f"{where}.{key}") for key, item in value.items()}
    if origin in (typing.Union, types.UnionType):
        raise MessageError(f"{where}: unions are not supported in messages")
    return _scalar(hint, value, where)


def _scalar(hint: Any, value: Any, where: str) -> Any:
    # bool is a subclass of int in Python: keep the two apart, as JSON does.
    if hint is bool:
        if not isinstance(value, bool):
            raise MessageError(f"{where}: expected true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise MessageError(f"{where}: expected an integer")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise MessageError(f"{where}: expected a number")
        if not math.isfinite(value):
            raise MessageError(f"{where}: expected a finite number")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise MessageError(f"{where}: expected a string")
        return value
    if hint is typing.Any:
        return value
    raise MessageError(f"{where}: unsupported type {hint!r}")


def _check_semantics(message: Any) -> None:
    if isinstance(message, GradeRequest | RunRequest):
        name = type(message).__name__
        if not message.files:
            raise MessageError(f"{name}.files: at least one file is required")
        if message.entrypoint not in {f.path for f in message.files}:
            raise MessageError(f"{name}.entrypoint: must name one of the files")
    if isinstance(message, GradeResult):
        if message.verdict not in VERDICTS:
            raise MessageError(f"GradeResult.verdict: unknown verdict {message.verdict!r}")
        _check_status_version(message.verdict, "GradeResult", message.schema_version)
        if not 0.0 <= message.score <= 1.0:
            raise MessageError("GradeResult.score: must be between 0 and 1")
        _check_charts(message)
    if isinstance(message, RunResult):
        if message.outcome not in RUN_OUTCOMES:
            raise MessageError(f"RunResult.outcome: unknown outcome {message.outcome!r}")
        _check_status_version(message.outcome, "RunResult", message.schema_version)
        for name, shown in message.measurements.items():
            if not (
                isinstance(shown, dict)
                and isinstance(shown.get("label"), str)
                and isinstance(shown.get("text"), str)
            ):
                raise MessageError(
                    f"RunResult.measurements.{name}: expected an object with a label and a text"
                )


def _check_status_version(status: str, message: str, version: int) -> None:
    since = STATUS_SINCE.get(status, {}).get(message, 1)
    if version < since:
        raise MessageError(f"{message}: {status!r} needs schema_version {since} or later")


def _check_charts(result: GradeResult) -> None:
    for i, chart in enumerate(result.charts):
        where = f"GradeResult.charts[{i}]"
        if chart.ideal < 0:
            raise MessageError(f"{where}.ideal: must not be negative")
        for j, bar in enumerate(chart.bars):
            if bar.value < 0:
                raise MessageError(f"{where}.bars[{j}].value: must not be negative")
            if bar.role not in CHART_ROLES:
                raise MessageError(f"{where}.bars[{j}].role: unknown role {bar.role!r}")
            if bar.outcome not in CHART_OUTCOMES:
                raise MessageError(f"{where}.bars[{j}].outcome: unknown outcome {bar.outcome!r}")
