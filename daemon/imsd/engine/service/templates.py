"""The local template store: AddTemplate, GetTemplate and ListTemplates, in the service's shapes.

A template is kept as the `Template` object GetTemplate answers (Config as JSON text), under a
key of its own, and indexed by creation time for ListTemplates (newest first). Templates do not
expire: a job names one long after it was added. The system templates whose Configs the template
library documents are built in and read-only (`SYSTEM_TEMPLATES`).
"""

from __future__ import annotations

import json
import time
from typing import Any

from redis.asyncio import Redis

from imsd.api.templates import template_parameters
from imsd.api.wire import compact_json, json_object
from imsd.engine.service.job_store import iso_now, new_id
from imsd.errors import invalid, missing, not_found

__all__ = ["SYSTEM_TEMPLATES", "TEMPLATE_TYPES", "TemplateStore"]

#: AddTemplate's Type values (the SDK's AddTemplateRequest): Timeline = a regular template,
#: VETemplate = an advanced (After Effects) one, BatchEditing = for one-click batch production.
TEMPLATE_TYPES = ("Timeline", "VETemplate", "BatchEditing")

#: The template library's system templates whose Config the docs print: IceSys_VideoMerge
#: (help.aliyun.com/document_detail/328557.html). The others the library names (IceSys_Album_BGM,
#: IceSys_Watermark, ...) have Configs the docs do not show, so they are not built in.
SYSTEM_TEMPLATES: dict[str, dict[str, Any]] = {
    "IceSys_VideoMerge": {
        "Name": "Video merging",
        "Type": "Timeline",
        "Config": {
            "VideoTracks": [
                {
                    "VideoTrackClips": [
                        {
                            "Sys_Type": "ArrayItems",
                            "Sys_ArrayObject": "$VideoArray",
                            "Sys_Template": {"MediaId": "$MediaId"},
                        }
                    ]
                }
            ]
        },
    },
}


class TemplateStore:
    """Templates in Redis (`{prefix}:template:ID`, indexed in `{prefix}:templates`), beside the
    built-in system templates."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.index = f"{prefix}:templates"

    def key(self, template_id: str) -> str:
        return f"{self.prefix}:template:{template_id}"

    async def add(self, params: dict[str, Any]) -> dict[str, Any]:
        """AddTemplate: the new template, as its Template object."""
        name = str(params.get("Name") or "")
        if not name:
            raise missing("Name")
        kind = str(params.get("Type") or "")
        if kind not in TEMPLATE_TYPES:
            raise invalid("Type", f"must be one of {', '.join(TEMPLATE_TYPES)}, not {kind!r}")
        config = json_object(params.get("Config"), "Config")
        now, template_id = iso_now(), new_id()
        template = {
            "TemplateId": template_id,
            "Name": name,
            "Type": kind,
            "Config": compact_json(config),
            "CoverUrl": params.get("CoverUrl"),
            "PreviewMedia": params.get("PreviewMedia"),
            "Status": params.get("Status") or "Available",
            "CreateSource": params.get("Source") or "OpenAPI",
            "ModifiedSource": params.get("Source") or "OpenAPI",
            "CreationTime": now,
            "ModifiedTime": now,
        }
        template = {key: value for key, value in template.items() if value is not None}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.key(template_id), compact_json(template))
            pipe.zadd(self.index, {template_id: time.time()})
            await pipe.execute()
        return template

    async def get(self, template_id: str, field: str = "TemplateId") -> dict[str, Any]:
        """GetTemplate's Template: with ClipsParam, the parameters its Config asks for, each None."""
        template = _system(template_id)
        if template is None:
            raw = await self.redis.get(self.key(template_id))
            if raw is None:
                raise not_found("InvalidParameter.TemplateNotFound", field, template_id)
            template = json.loads(raw)
        names = template_parameters(json.loads(template["Config"]))
        return {**template, "ClipsParam": compact_json(dict.fromkeys(names))}

    async def config(self, template_id: str, field: str = "TemplateId") -> tuple[str, Any]:
        """(Type, Config) of a template, for a job that names it."""
        template = await self.get(template_id, field)
        return template["Type"], json.loads(template["Config"])

    async def list(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListTemplates: filtered by Type, Status and a Keyword in the name, paged by PageNo and
        PageSize (1-based, 10 per page by default), newest first."""
        ids = await self.redis.zrange(self.index, 0, -1, desc=True)
        stored = [json.loads(raw) for raw in (await self.redis.mget([self.key(i) for i in ids]) if ids else []) if raw]
        templates = stored + [t for t in map(_system, SYSTEM_TEMPLATES) if t is not None]
        for field in ("Type", "Status"):
            if params.get(field):
                templates = [t for t in templates if t.get(field) == params[field]]
        if params.get("Keyword"):
            templates = [t for t in templates if str(params["Keyword"]) in t["Name"]]
        page_no, page_size = _positive(params, "PageNo", 1), _positive(params, "PageSize", 10)
        page = templates[(page_no - 1) * page_size : page_no * page_size]
        return {"RequestId": new_id(), "TotalCount": len(templates), "Templates": page}


def _system(template_id: str) -> dict[str, Any] | None:
    template = SYSTEM_TEMPLATES.get(template_id)
    if template is None:
        return None
    return {
        "TemplateId": template_id,
        "Name": template["Name"],
        "Type": template["Type"],
        "Config": compact_json(template["Config"]),
        "Status": "Available",
        "CreateSource": "System",
        "ModifiedSource": "System",
    }


def _positive(params: dict[str, Any], field: str, default: int) -> int:
    value = params.get(field, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(field, f"must be a positive integer, not {value!r}") from None
    if number < 1:
        raise invalid(field, f"must be a positive integer, not {number}")
    return number
