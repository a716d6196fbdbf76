"""Regular templates: a Config with `$` parameters, merged with a job's ClipsParam into a Timeline.

SubmitMediaProducingJob with a TemplateId "merges the Config of the regular template with the
ClipsParam into a Timeline" (help.aliyun.com/document_detail/277430.htm, "Details of a regular
template config"; .../328557.html, "Create and use a regular template"). The rules, as those
pages and the template issue state them:

- a string "$Name" anywhere in the Config is replaced by ClipsParam["Name"], whatever JSON
  value that is (the watermark example: "MediaId": "$Video");
- "$Name:default" takes `default` when ClipsParam has no Name (inferred: a default that reads as
  a JSON number or boolean is that value, since Timeline fields such as X or Width are numbers);
- a ClipsParam value "NULL" removes the field that names it (an array item that is just the
  parameter is removed from its array);
- an array item {"Sys_Type": "ArrayItems", "Sys_ArrayObject": "$VideoArray", "Sys_Template": {...}}
  becomes one copy of Sys_Template per element of ClipsParam["VideoArray"] (the VideoMerge
  example). Inside a copy, `$` names are read from the element when it is an object, and a
  scalar element (a MediaId or a URL, "which may be mixed", per the public template library page
  .../197962.htm) fills every `$` name;
- a MediaId that a parameter filled with a URL or a path becomes a MediaURL (inferred: the
  template library takes "MediaIds or OSS URLs, mixed" where the Configs say MediaId);
- a parameter the Config names that ClipsParam lacks, without a default, is an error naming it
  (the docs do not say what IMS does).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from imsd.errors import invalid

__all__ = ["ARRAY_ITEMS", "BATCH_TEMPLATE_PARTS", "merge_template", "template_parameters", "under"]

#: A BatchEditing template's parts and the job parameter each fills (the batch template parameters
#: page, help.aliyun.com/en/ims/use-cases/batch-video-production-template-parameters).
BATCH_TEMPLATE_PARTS = {
    "InputTemplateConfig": "InputConfig",
    "EditingTemplateConfig": "EditingConfig",
    "OutputTemplateConfig": "OutputConfig",
}

ARRAY_ITEMS = "ArrayItems"
_PARAMETER = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)(?::(.*))?$", re.DOTALL)
_REMOVED = object()


def merge_template(config: Any, clips_param: Mapping[str, Any]) -> Any:
    """The Timeline that `config` with `clips_param` stands for; InvalidParameter naming the field."""
    merged = _merge(config, clips_param, "ClipsParam")
    return None if merged is _REMOVED else merged


def under(template: Any, job: Any) -> Any:
    """`job` over `template`: objects merge key by key, any other value of the job's replaces the
    template's. The rule chosen where the docs are silent: a template is a house style, the job
    the request at hand, so what the job says wins, and what it leaves out the template gives."""
    if isinstance(template, dict) and isinstance(job, dict):
        return {**template, **{key: under(template.get(key), value) for key, value in job.items()}}
    return template if job is None else job


def template_parameters(config: Any) -> list[str]:
    """The parameter names a Config asks for, in order of first use (for `imsd template get`)."""
    names: dict[str, None] = {}

    def walk(value: Any) -> None:
        if isinstance(value, str) and (match := _PARAMETER.match(value)):
            names.setdefault(match.group(1))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(config)
    return list(names)


def _merge(value: Any, params: Mapping[str, Any], where: str) -> Any:
    if isinstance(value, str):
        return _substitute(value, params, where)
    if isinstance(value, dict):
        merged = {key: _merge(item, params, where) for key, item in value.items()}
        kept = {key: item for key, item in merged.items() if item is not _REMOVED}
        media = kept.get("MediaId")
        if media != value.get("MediaId") and isinstance(media, str) and ("://" in media or media.startswith("/")):
            kept["MediaURL"] = kept.pop("MediaId")
        return kept
    if isinstance(value, list):
        items: list[Any] = []
        for item in value:
            if isinstance(item, dict) and item.get("Sys_Type") == ARRAY_ITEMS:
                items.extend(_array_items(item, params, where))
            elif (merged := _merge(item, params, where)) is not _REMOVED:
                items.append(merged)
        return items
    return value


def _substitute(text: str, params: Mapping[str, Any], where: str) -> Any:
    match = _PARAMETER.match(text)
    if match is None:
        return text
    name, default = match.group(1), match.group(2)
    if name in params:
        value = params[name]
        return _REMOVED if value == "NULL" else value
    if default is not None:
        return _default(default)
    raise invalid(f"{where}.{name}", "is required by the template (its Config names it and gives no default)")


def _default(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (int, float, bool)) else text


def _array_items(item: Mapping[str, Any], params: Mapping[str, Any], where: str) -> list[Any]:
    source = item.get("Sys_ArrayObject")
    match = _PARAMETER.match(source) if isinstance(source, str) else None
    if match is None:
        raise invalid(f"{where}: Sys_ArrayObject", f"must name a parameter as $Name, not {source!r}")
    name = match.group(1)
    elements = params.get(name, [])
    if elements == "NULL":
        return []
    if not isinstance(elements, list):
        raise invalid(f"{where}.{name}", "must be an array (the template repeats an item per element)")
    template = item.get("Sys_Template")
    copies = []
    for index, element in enumerate(elements):
        scope = element if isinstance(element, dict) else _ScalarScope(element, template)
        copy = _merge(template, _Layered(scope, params), f"{where}.{name}[{index}]")
        if copy is not _REMOVED:
            copies.append(copy)
    return copies


class _Layered(Mapping[str, Any]):
    """An array element's own values over the job's ClipsParam."""

    def __init__(self, first: Mapping[str, Any], then: Mapping[str, Any]) -> None:
        self._first, self._then = first, then

    def __getitem__(self, key: str) -> Any:
        return self._first[key] if key in self._first else self._then[key]

    def __contains__(self, key: object) -> bool:
        return key in self._first or key in self._then

    def __iter__(self) -> Any:
        return iter({**self._then, **self._first})

    def __len__(self) -> int:
        return len({**self._then, **self._first})


class _ScalarScope(Mapping[str, Any]):
    """A scalar element fills every `$` name of its Sys_Template."""

    def __init__(self, element: Any, template: Any) -> None:
        self._element = element
        self._names = template_parameters(template)

    def __getitem__(self, key: str) -> Any:
        if key not in self._names:
            raise KeyError(key)
        return self._element

    def __contains__(self, key: object) -> bool:
        return key in self._names

    def __iter__(self) -> Any:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)
