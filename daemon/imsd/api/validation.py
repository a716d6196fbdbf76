"""The gate every request passes before a backend sees it.

Validation is a check, not a rewrite: what comes out is what came in, with JSON text parsed and
nothing else changed, so unknown fields and exact values reach the service as the producer sent
them. Every failure is an `ImsError` whose message starts with the path of the field to fix
(`OutputMediaConfig.Width: ...`), the form IMS itself uses, so a producer reads one kind of
message whether our check or the service refused the request.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from typing import Any, NoReturn

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from imsd.api.models import (
    MISSING_ERROR,
    PARAMS_MODELS,
    RULE_ERROR,
    PathSegment,
    SubmitMediaProducingJobParams,
)
from imsd.api.wire import JSON_PARAMS, Api, to_wire
from imsd.errors import invalid, missing

__all__ = ["MAX_JSON_DEPTH", "check_storable", "validate_params"]

#: Real documents nest about ten levels (Timeline → tracks → clips → effects → ...). A cap far
#: above that keeps hostile input from reaching anything recursive (json, pydantic, compact_json).
MAX_JSON_DEPTH = 64

_SCALARS = (str, int, float, bool)

# pydantic's built-in errors in the service's "must be ..." voice; {names} come from the context.
_PROBLEMS = {
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "list_type": "must be a JSON array",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be a boolean",
    "bool_parsing": "must be a boolean",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "too_short": "must have at least {min_length} items",
    "too_long": "must have at most {max_length} items",
    "string_too_short": "must be at least {min_length} characters",
    "string_too_long": "must be at most {max_length} characters",
    "string_pattern_mismatch": "must match {pattern}",
}


def validate_params(api: Api, params: Mapping[str, Any]) -> dict[str, Any]:
    """Check `params` against the rules of `api` and return them with JSON params parsed.

    JSON-valued params (wire.JSON_PARAMS) may be given as objects or as JSON text; the result
    holds them as Python objects, copied so that later edits cannot reach the caller's data.
    A param that is None or "" counts as not given, as the SDK treats it, and is returned as is.
    """
    resolved = {name: _resolve(name, value) for name, value in params.items()}
    # Scalars are checked in the string form the service receives (True -> "true", 7 -> "7").
    given = {
        name: value if name in JSON_PARAMS else to_wire({name: value})[name]
        for name, value in resolved.items()
        if value is not None and value != ""
    }
    try:
        checked = PARAMS_MODELS[api].model_validate(given)
    except ValidationError as error:
        _raise_first(error, given)
    if isinstance(checked, SubmitMediaProducingJobParams) and checked.Timeline is not None:
        _check_timeline(given["Timeline"])
    return resolved


def _check_timeline(timeline: Any) -> None:
    # Imported here: imsd.api.timeline owns the Timeline rules and is only needed for this API.
    from imsd.api.timeline import Timeline

    try:
        Timeline.model_validate(timeline)
    except ValidationError as error:
        _raise_first(error, timeline, ("Timeline",))


def _resolve(name: str, value: Any) -> Any:
    """The param as the models see it: JSON text parsed, JSON objects copied."""
    if name not in JSON_PARAMS:
        if value is not None and not isinstance(value, _SCALARS):
            raise invalid(name, "must be a string, number or boolean")
        return value
    if isinstance(value, str) and value:
        document = _parse_json(name, value)
        check_storable(name, document)
        return document
    if isinstance(value, dict | list):
        check_storable(name, value)
        return copy.deepcopy(value)
    # Not given (None, ""), or a scalar where a document belongs, which the model reports.
    return value


def _parse_json(name: str, text: str) -> Any:
    def reject_constant(constant: str) -> NoReturn:
        raise ValueError(f"{constant} is not a JSON number")

    try:
        return json.loads(text, parse_constant=reject_constant)
    except RecursionError:
        raise invalid(name, f"nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as error:  # JSONDecodeError, NaN/Infinity, over-long integers
        raise invalid(name, f"is not valid JSON: {error}") from None


def check_storable(name: str, document: Any) -> None:
    """Refuse what cannot be stored, sent or echoed back as JSON, so that any later step is safe.

    That is: object keys that are not strings, values that are not JSON (NaN and Infinity, which
    json.loads accepts but no other JSON parser does, or Python objects), text that is not
    Unicode (bytes that are not UTF-8, lone surrogate escapes such as "\\ud800") and nesting
    deeper than MAX_JSON_DEPTH. Iterative, so that no document can exhaust the stack.
    """
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise invalid(name, f"nests deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, dict):
            if not all(isinstance(key, str) for key in value):
                raise invalid(name, "object keys must be strings")
            pending.extend((key, depth) for key in value)
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            if not value.isascii():  # the fast path: ASCII text always encodes
                try:
                    value.encode()
                except UnicodeEncodeError:
                    raise invalid(name, "is not valid UTF-8 (raw bytes or a lone surrogate escape)") from None
        elif isinstance(value, float) and not math.isfinite(value):
            raise invalid(name, "numbers must be finite")
        elif value is not None and not isinstance(value, _SCALARS):
            raise invalid(name, f"{type(value).__name__} is not a JSON value")


def _raise_first(error: ValidationError, document: Any, prefix: tuple[PathSegment, ...] = ()) -> NoReturn:
    """Re-raise the first pydantic error as the ImsError the service would have sent."""
    detail = error.errors()[0]
    context = detail.get("ctx") or {}
    loc = _document_path(document, detail["loc"], ends_in_absent_key=detail["type"] == "missing")
    path = _path((*prefix, *loc, *context.get("at", ())))
    if detail["type"] in ("missing", MISSING_ERROR):
        raise missing(path) from None
    raise invalid(path, _problem(detail)) from None


def _document_path(document: Any, loc: tuple[PathSegment, ...], *, ends_in_absent_key: bool) -> tuple[PathSegment, ...]:
    """The part of pydantic's location that exists in the document.

    pydantic also puts union tags (`Effects[0].Volume.Gain`, where Volume is the effect type)
    and `[key]` markers into locations; walking the document drops exactly those.
    """
    kept: list[PathSegment] = []
    node = document
    for position, segment in enumerate(loc):
        if isinstance(segment, int) and isinstance(node, list) and 0 <= segment < len(node):
            node = node[segment]
        elif isinstance(node, dict):
            if segment in node:
                node = node[segment]
            elif not (ends_in_absent_key and position == len(loc) - 1):
                continue
        kept.append(segment)
    return tuple(kept)


def _path(loc: tuple[PathSegment, ...]) -> str:
    """`InputConfig.MediaGroupArray[3].GroupName` from a location tuple."""
    path = ""
    for segment in loc:
        if isinstance(segment, int):
            path += f"[{segment}]"
        else:
            path += f".{segment}" if path else segment
    return path


def _problem(detail: ErrorDetails) -> str:
    context = detail.get("ctx") or {}
    kind = detail["type"]
    if kind == RULE_ERROR:
        return str(context["problem"])
    if kind in ("value_error", "assertion_error"):  # raised by a validator: its own words
        return str(context["error"])
    if kind in ("enum", "literal_error"):
        return f"must be one of {context['expected']}"
    if kind in _PROBLEMS:
        return _PROBLEMS[kind].format(**context)
    message = detail["msg"]
    return message[:1].lower() + message[1:]
