"""Each clip's pixels in the one format the graph works in, and tagged back as its source's.

Clips come as RGB stills, full-range phone video, odd sizes, alpha or not; one output has one
format and one range. What a clip's video stream says (ffprobe's pix_fmt, colour properties and
time base) is read here and nowhere else, so every clip is brought to the same 8-bit,
limited-range, even-sized YUV the same way, and a prepared clip gets its source's tags back.
"""

from __future__ import annotations

from typing import Any

from imsd.engine.media import MediaInfo
from imsd.engine.render.geometry import even
from imsd.engine.render.graph import Filter, f

__all__ = ["has_alpha", "source_colour", "source_time_base", "working_format"]

# The colour properties setparams takes, by the names ffprobe reports them under.
_COLOUR_PARAMS = {
    "color_range": ("range", frozenset({"tv", "pc"})),
    "color_primaries": ("color_primaries", frozenset(
        {"bt709", "bt470m", "bt470bg", "smpte170m", "smpte240m", "film", "bt2020", "smpte428", "smpte431",
         "smpte432", "jedec-p22"})),
    "color_transfer": ("color_trc", frozenset(
        {"bt709", "bt470m", "bt470bg", "smpte170m", "smpte240m", "linear", "log100", "log316", "iec61966-2-4",
         "bt1361e", "iec61966-2-1", "bt2020-10", "bt2020-12", "smpte2084", "smpte428", "arib-std-b67"})),
    "color_space": ("colorspace", frozenset(
        {"gbr", "bt709", "fcc", "bt470bg", "smpte170m", "smpte240m", "ycgco", "bt2020nc", "bt2020c", "smpte2085",
         "chroma-derived-nc", "chroma-derived-c", "ictcp"})),
}  # fmt: skip


# EXIF Orientation -> the filters turning the stored picture upright (the tag's own definitions:
# 2 mirrored, 3 turned 180°, 4 flipped, 5 transposed, 6 turned 90° clockwise to view, 7 transversed,
# 8 turned 90° counter-clockwise to view).
_UPRIGHT: dict[int, tuple[Filter, ...]] = {
    2: (f("hflip"),),
    3: (f("hflip"), f("vflip")),
    4: (f("vflip"),),
    5: (f("transpose", "cclock_flip"),),
    6: (f("transpose", "clock"),),
    7: (f("transpose", "clock_flip"),),
    8: (f("transpose", "cclock"),),
}


def working_format(info: MediaInfo, alpha: bool) -> list[Filter]:
    """Upright, 8-bit limited-range YUV, even-sized: the format everything after works in.

    Decoders of stills give RGB, and zoompan or scale on RGB moves twice the bytes per pixel
    of yuv420p. The alpha plane is only kept where the layer can show it (`alpha`). Full-range
    video (some phones, screen recordings) is brought to limited range like everything else, or
    its levels would be read wrongly beside other clips in one output, whose range is one.
    """
    chain = [*_UPRIGHT.get(info.orientation, ()), f("format", "yuva420p" if alpha else "yuv420p")]
    w, h = even(info.width), even(info.height)
    full = _full_range_yuv(info)
    if (w, h) != (info.width, info.height) or full:
        chain.append(f("scale", w, h, in_range="pc" if full else None, out_range="tv" if full else None))
    return chain


def has_alpha(info: MediaInfo) -> bool:
    """Whether the picture may be see-through (RGBA/YA/paletted PNG, yuva video)."""
    fmt = str(_video_stream(info).get("pix_fmt", ""))
    return fmt == "pal8" or fmt.startswith(("rgba", "bgra", "argb", "abgr", "ya", "yuva", "gbrap"))


def source_time_base(info: MediaInfo) -> list[Filter]:
    """settb back to the source stream's time base (the one its timestamps were counted in)."""
    num, _, den = str(_video_stream(info).get("time_base", "")).partition("/")
    return [f("settb", f"{int(num)}/{int(den)}")] if num.isdigit() and den.isdigit() and int(den) else []


def source_colour(info: MediaInfo) -> list[Filter]:
    """setparams with the colour properties a YUV clip's frames carry once fitted (the ones the
    encoder tags from): its source's, in the limited range every clip is brought to."""
    stream = _video_stream(info)
    if not str(stream.get("pix_fmt", "")).startswith("yuv"):
        return []
    known = {
        option: "tv" if option == "range" else value
        for field_name, (option, values) in _COLOUR_PARAMS.items()
        if (value := str(stream.get(field_name, ""))) in values
    }
    return [f("setparams", **known)] if known else []


def _video_stream(info: MediaInfo) -> dict[str, Any]:
    return next((s for s in info.streams if s.get("codec_type") == "video"), {})


def _full_range_yuv(info: MediaInfo) -> bool:
    """YUV tagged full range (yuvj formats are brought to limited range by `format` already)."""
    stream = _video_stream(info)
    fmt = str(stream.get("pix_fmt", ""))
    return stream.get("color_range") == "pc" and fmt.startswith("yuv") and not fmt.startswith("yuvj")
