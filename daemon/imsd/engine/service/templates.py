"""The local template store: AddTemplate, GetTemplate and ListTemplates, in the service's shapes.

A template is kept as the `Template` object GetTemplate answers (Config as JSON text), under a
key of its own, and indexed by creation time for ListTemplates (newest first). Templates do not
expire: a job names one long after it was added. The system templates whose Configs the template
library names are built in and read-only (`SYSTEM_TEMPLATES`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from imsd.api.templates import ARRAY_ITEMS, template_parameters
from imsd.api.wire import compact_json, json_object
from imsd.engine.service.job_store import iso_now, new_id
from imsd.errors import invalid, missing, not_found

__all__ = ["SYSTEM_TEMPLATES", "TEMPLATE_TYPES", "SystemTemplate", "TemplateStore"]

#: AddTemplate's Type values (the SDK's AddTemplateRequest): Timeline = a regular template,
#: VETemplate = an advanced (After Effects) one, BatchEditing = for one-click batch production.
TEMPLATE_TYPES = ("Timeline", "VETemplate", "BatchEditing")

_LIBRARY = "help.aliyun.com/document_detail/197962.htm"


@dataclass(frozen=True)
class SystemTemplate:
    """A regular template of the public template library, built in and read-only."""

    name: str
    config: dict[str, Any]
    #: Why the Config is the engine's own reading, said in the job's Approximated list; "" when
    #: the docs print the Config.
    inferred: str = ""


def _items(array: str, **clip: Any) -> dict[str, Any]:
    """An ArrayItems entry: one `clip` per element of ClipsParam[array], the element as its MediaId."""
    return {"Sys_Type": ARRAY_ITEMS, "Sys_ArrayObject": f"${array}", "Sys_Template": {"MediaId": "$MediaId", **clip}}


_MUTED = {"Effects": [{"Type": "Volume", "Gain": 0}]}
_ARRAYS = (
    f"its Config is not published (the library, {_LIBRARY}, gives its name and that ClipsParam lists"
    " materials in VideoArray, AudioArray and ImageArray)"
)

#: The public template library's regular templates (the library page, `_LIBRARY`). Only
#: IceSys_VideoMerge's Config is printed (help.aliyun.com/document_detail/328557.html); the
#: others are read from their names and the library's one rule on ClipsParam (materials in
#: VideoArray, AudioArray and ImageArray), each said to be inferred in the jobs that use it. The
#: watermark's place and size are those of the documented watermark Config (document_detail/277430).
SYSTEM_TEMPLATES: dict[str, SystemTemplate] = {
    "IceSys_VideoMerge": SystemTemplate(
        "Video merging", {"VideoTracks": [{"VideoTrackClips": [_items("VideoArray")]}]}
    ),
    "IceSys_Album_BGM": SystemTemplate(
        "Create an album",
        {
            "VideoTracks": [{"MainTrack": True, "VideoTrackClips": [_items("ImageArray", Type="Image", Duration=3)]}],
            "AudioTracks": [{"AudioTrackClips": [_items("AudioArray")]}],
        },
        f"{_ARRAYS}: read as the ImageArray's pictures 3 s each, the AudioArray as music cut to them",
    ),
    "IceSys_AudioMixedWithMuteVideo": SystemTemplate(
        "Mute a video and dub the video with a full audio resource",
        {
            "VideoTracks": [{"VideoTrackClips": [_items("VideoArray", **_MUTED)]}],
            "AudioTracks": [{"AudioTrackClips": [_items("AudioArray")]}],
        },
        f"{_ARRAYS}: read as the VideoArray muted, the AudioArray played in full beside it",
    ),
    "IceSys_OpeningEnding": SystemTemplate(
        "Add start and end parts to a video",
        {"VideoTracks": [{"VideoTrackClips": [_items("VideoArray")]}]},
        f"{_ARRAYS}: read as the VideoArray (opening, video, ending) played in its order",
    ),
    "IceSys_Watermark": SystemTemplate(
        "Add watermarks",
        {
            "VideoTracks": [
                {"VideoTrackClips": [_items("VideoArray")]},
                {"VideoTrackClips": [_items("ImageArray", Type="GlobalImage", X=40, Y=40, Width=200, Height=60)]},
            ]
        },
        f"{_ARRAYS}: read as the VideoArray with the ImageArray's logo over all of it, 200x60 at (40, 40) as"
        " in the documented watermark Config",
    ),
    "IceSys_VideoMute": SystemTemplate(
        "Mute an entire video",
        {"VideoTracks": [{"VideoTrackClips": [_items("VideoArray", **_MUTED)]}]},
        f"{_ARRAYS}: read as the VideoArray muted",
    ),
    "IceSys_AudioMerge": SystemTemplate(
        "Merge audio clips",
        {"AudioTracks": [{"AudioTrackClips": [_items("AudioArray")]}]},
        f"{_ARRAYS}: read as the AudioArray played in its order",
    ),
    "IceSys_AudioDemux": SystemTemplate(
        "Extract audio",
        {"AudioTracks": [{"AudioTrackClips": [_items("VideoArray")]}]},
        f"{_ARRAYS}: read as the sound of the VideoArray, in its order",
    ),
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

    async def config(self, template_id: str, field: str = "TemplateId") -> tuple[str, Any, str]:
        """(Type, Config, why the Config is inferred or "") of a template, for a job that names it."""
        template = await self.get(template_id, field)
        system = SYSTEM_TEMPLATES.get(template_id)
        return template["Type"], json.loads(template["Config"]), system.inferred if system else ""

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
    answer = {
        "TemplateId": template_id,
        "Name": template.name,
        "Type": "Timeline",
        "Config": compact_json(template.config),
        "Status": "Available",
        "CreateSource": "System",
        "ModifiedSource": "System",
    }
    # The engine's own addition, as on jobs: where the template departs from what IMS documents.
    return {**answer, "Approximated": [template.inferred]} if template.inferred else answer


def _positive(params: dict[str, Any], field: str, default: int) -> int:
    value = params.get(field, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(field, f"must be a positive integer, not {value!r}") from None
    if number < 1:
        raise invalid(field, f"must be a positive integer, not {number}")
    return number
