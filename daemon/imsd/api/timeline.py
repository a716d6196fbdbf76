"""Pydantic models of the IMS Timeline JSON (docs/ims-api.md §2) and of OutputMediaConfig (§1.2).

Field names are the wire names. Unknown fields are kept (`extra="allow"`) because the WebSDK and
newer API versions add keys freely; the renderer reports what it did not use instead. Every
validation error carries a location (`VideoTracks[0].VideoTrackClips[1].Out`), so
`timeline_error` can turn it into an InvalidParameter message naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from imsd.errors import ImsError

__all__ = [
    "MAX_CLIPS_PER_TRACK",
    "MAX_TRACKS",
    "VIDEO_CLIP_TYPES",
    "AFadeEffect",
    "ALoudNormEffect",
    "AlignmentName",
    "AudioConfig",
    "AudioTrack",
    "AudioTrackClip",
    "BackgroundEffect",
    "Canvas",
    "Colour",
    "CropEffect",
    "Effect",
    "EffectTrack",
    "EffectTrackItem",
    "FilterEffect",
    "FlipEffect",
    "ImageTrack",
    "ImageTrackClip",
    "KenBurnsEffect",
    "OtherEffect",
    "OutputMediaConfig",
    "RotateEffect",
    "ScaleEffect",
    "Seconds",
    "SubtitleTrack",
    "SubtitleTrackClip",
    "TextEffect",
    "TextFace",
    "Timeline",
    "TransitionEffect",
    "VfxEffect",
    "VideoConfig",
    "VideoTrack",
    "VideoTrackClip",
    "VolumeEffect",
    "ZoomEffect",
    "parse_output",
    "parse_timeline",
    "validation_error",
]

MAX_TRACKS = 100
# Not an IMS limit (none is documented): far more than one output can show, and enough to keep
# a hostile Timeline from holding the daemon's event loop while it is validated.
MAX_CLIPS_PER_TRACK = 10_000

Seconds = Annotated[float, Field(ge=0)]
Colour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


def _not_before(value: float | None, info: ValidationInfo, start: str) -> float | None:
    begin = info.data.get(start)
    if value is not None and begin is not None and value < begin:
        raise ValueError(f"must not be less than {start} ({begin})")
    return value


class _Timed(_Model):
    """Source trim (In/Out) and output placement (TimelineIn/TimelineOut)."""

    In: Seconds | None = None
    Out: Seconds | None = None
    TimelineIn: Seconds | None = None
    TimelineOut: Seconds | None = None

    @field_validator("Out")
    @classmethod
    def _out_after_in(cls, v: float | None, info: ValidationInfo) -> float | None:
        return _not_before(v, info, "In")

    @field_validator("TimelineOut")
    @classmethod
    def _timeline_out_after_in(cls, v: float | None, info: ValidationInfo) -> float | None:
        return _not_before(v, info, "TimelineIn")


# ---- text (§2.4): SubtitleTracks clips, and Text effects inside video clips -------------------


class TextFace(_Model):
    Bold: bool = False
    Italic: bool = False
    Underline: bool = False


AlignmentName = Literal[
    "TopLeft",
    "TopCenter",
    "TopRight",
    "CenterLeft",
    "CenterCenter",
    "CenterRight",
    "BottomLeft",
    "BottomCenter",
    "BottomRight",
    "Left",
    "Center",
    "Right",
]


class SubtitleTrackClip(_Model):
    Type: str = "Text"
    TimelineIn: Seconds | None = None
    TimelineOut: Seconds | None = None
    Content: str = ""
    FileURL: str | None = None
    X: float | None = None
    Y: float | None = None
    Font: str | None = None
    FontUrl: str | None = None
    FontSize: int | None = Field(default=None, ge=0, le=5000)
    FixedFontSize: int | None = Field(default=None, ge=0, le=5000)
    FontColor: Colour = "#FFFFFF"
    FontColorOpacity: float = Field(default=1.0, ge=0, le=1)
    FontFace: TextFace = TextFace()
    Spacing: float = 0
    LineSpacing: float = 0
    Angle: float = 0
    BorderStyle: Literal[1, 3] = 1
    Outline: float = Field(default=0, ge=0)
    OutlineColour: Colour = "#000000"
    Shadow: float = Field(default=0, ge=0)
    BackColour: Colour = "#000000"
    Alignment: AlignmentName = "TopLeft"
    AdaptMode: str | None = None
    TextWidth: float | None = Field(default=None, gt=0)

    @field_validator("TimelineOut")
    @classmethod
    def _timeline_out_after_in(cls, v: float | None, info: ValidationInfo) -> float | None:
        return _not_before(v, info, "TimelineIn")

    @model_validator(mode="after")
    def _required(self) -> SubtitleTrackClip:
        if self.Type == "Text" and self.FontSize is None and self.FixedFontSize is None:
            raise ValueError("FontSize is required for Text clips")
        if self.Type == "Subtitle" and not self.FileURL:
            raise ValueError("FileURL is required for Subtitle clips")
        return self


# ---- effects (§2.6) --------------------------------------------------------------------------


class _Effect(_Model):
    Type: str
    SubType: str | None = None


class VolumeEffect(_Effect):
    Type: Literal["Volume"]
    Gain: float = Field(ge=0, le=10)  # required: IMS fails a Volume effect without Gain
    In: Seconds | None = None
    Out: Seconds | None = None


class AFadeEffect(_Effect):
    Type: Literal["AFade"]
    SubType: Literal["In", "Out"]
    Duration: float = Field(gt=0)
    Curve: str = "exp"


class ALoudNormEffect(_Effect):
    Type: Literal["ALoudNorm"]
    Loudness: float = Field(default=-16.0, ge=-70, le=-5)
    TruePeak: float = Field(default=-1.5, ge=-9, le=0)


class TransitionEffect(_Effect):
    Type: Literal["Transition"]
    SubType: str = "fade"
    Duration: float = Field(default=1.0, gt=0)


class BackgroundEffect(_Effect):
    Type: Literal["Background"]
    SubType: str = "Blur"
    Radius: float = Field(default=0.1, gt=0, le=1)
    Color: Colour = "#000000"


class KenBurnsEffect(_Effect):
    Type: Literal["KenBurns"]
    Start: str = "0,0,1,1"
    End: str = "0,0,1,1"
    Duration: float | None = Field(default=None, gt=0)

    @field_validator("Start", "End")
    @classmethod
    def _rect(cls, v: str) -> str:
        parts = v.split(",")
        if len(parts) != 4:
            raise ValueError('must be "x,y,w,h"')
        x, y, w, h = (float(p) for p in parts)
        if not (0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 and 0 < h <= 1):
            raise ValueError("x,y must be in [0,1) and w,h in (0,1]")
        return v

    @staticmethod
    def rect(text: str) -> tuple[float, float, float, float]:
        x, y, w, h = (float(p) for p in text.split(","))
        return x, y, w, h


class ZoomEffect(_Effect):
    Type: Literal["Zoom"]
    StartRate: float = Field(default=1.0, ge=1, le=10)
    EndRate: float = Field(default=1.2, ge=1, le=10)
    Duration: float | None = Field(default=None, gt=0)


class _BoxEffect(_Effect):
    X: float | None = None
    Y: float | None = None
    Width: float | None = Field(default=None, gt=0)
    Height: float | None = Field(default=None, gt=0)


class CropEffect(_BoxEffect):
    Type: Literal["Crop"]


class ScaleEffect(_BoxEffect):
    Type: Literal["Scale"]


class FlipEffect(_Effect):
    Type: Literal["Flip"]
    Direction: Literal["horizontal", "vertical", "Horizontal", "Vertical"] = "horizontal"


class RotateEffect(_Effect):
    Type: Literal["Rotate"]
    Degree: float = 0.0


class FilterEffect(_Effect):
    """A colour look; over TimelineIn..TimelineOut of the clip's own time when given (as VFX)."""

    Type: Literal["Filter"]
    SubType: str
    TimelineIn: Seconds | None = None
    TimelineOut: Seconds | None = None
    Duration: Seconds | None = None


class TextEffect(SubtitleTrackClip):
    """Text drawn over a video clip while it plays: "在Effects下的字幕,则会预设按照当前Effects归属的
    视频素材的时间来产生" (use-cases/subtitles-and-subtitle-templates). Its fields are a Text clip's."""

    Type: Literal["Text"]


class VfxEffect(_Effect):
    """A visual effect (engine/render/vfx.py) over TimelineIn..TimelineOut of the clip's own time
    (from its first frame: inferred), or Duration from TimelineIn; the whole clip without them."""

    Type: Literal["VFX"]
    SubType: str
    TimelineIn: Seconds | None = None
    TimelineOut: Seconds | None = None
    Duration: Seconds | None = None
    # A region effect's box (mosaic_rect), of the clip's picture: fractions or pixels (§2.7).
    X: float | None = None
    Y: float | None = None
    Width: float | None = None
    Height: float | None = None


class OtherEffect(_Effect):
    """Any effect type the local engine does not implement; reported, never silently dropped."""


_EFFECTS: dict[str, type[_Model]] = {
    "VFX": VfxEffect,
    "Volume": VolumeEffect,
    "AFade": AFadeEffect,
    "ALoudNorm": ALoudNormEffect,
    "Transition": TransitionEffect,
    "Background": BackgroundEffect,
    "KenBurns": KenBurnsEffect,
    "Zoom": ZoomEffect,
    "Crop": CropEffect,
    "Scale": ScaleEffect,
    "Flip": FlipEffect,
    "Rotate": RotateEffect,
    "Filter": FilterEffect,
    "Text": TextEffect,
}


def _effect_tag(value: Any) -> str:
    kind = value.get("Type") if isinstance(value, dict) else getattr(value, "Type", None)
    return kind if kind in _EFFECTS else "Other"


Effect = Annotated[
    Annotated[VolumeEffect, Tag("Volume")]
    | Annotated[AFadeEffect, Tag("AFade")]
    | Annotated[ALoudNormEffect, Tag("ALoudNorm")]
    | Annotated[TransitionEffect, Tag("Transition")]
    | Annotated[BackgroundEffect, Tag("Background")]
    | Annotated[KenBurnsEffect, Tag("KenBurns")]
    | Annotated[ZoomEffect, Tag("Zoom")]
    | Annotated[CropEffect, Tag("Crop")]
    | Annotated[ScaleEffect, Tag("Scale")]
    | Annotated[FlipEffect, Tag("Flip")]
    | Annotated[RotateEffect, Tag("Rotate")]
    | Annotated[FilterEffect, Tag("Filter")]
    | Annotated[TextEffect, Tag("Text")]
    | Annotated[VfxEffect, Tag("VFX")]
    | Annotated[OtherEffect, Tag("Other")],
    Discriminator(_effect_tag),
]


# ---- clips and tracks (§2.2-2.5) -------------------------------------------------------------


class _MediaClip(_Timed):
    MediaId: str | None = None
    # The docs spell it both ways ("MediaUrl" in the Timeline reference's examples).
    MediaURL: str | None = Field(default=None, validation_alias=AliasChoices("MediaURL", "MediaUrl"))
    Speed: float = Field(default=1.0, ge=0.1, le=100)
    Effects: list[Effect] = []
    # Out left out: the media end, capped by MaxOut; an Out given makes MaxOut void (Timeline
    # configuration, VideoTrackClip MaxOut).
    MaxOut: Seconds | None = None
    # Cross-track alignment: a clip naming another track's ClipId takes its place and length
    # (use-cases/inter-track-material-alignment); see render/spans.py.
    ClipId: str | None = None
    ReferenceClipId: str | None = None

    @property
    def media_ref(self) -> str | None:
        return self.MediaId or self.MediaURL

    def _require_one_media(self) -> None:
        if self.MediaId and self.MediaURL:
            raise ValueError("give either MediaId or MediaURL, not both")
        if not self.MediaId and not self.MediaURL:
            raise ValueError("MediaId or MediaURL is required")


VIDEO_CLIP_TYPES = frozenset({"Video", "Image", "GlobalImage"})


class VideoTrackClip(_MediaClip):
    Type: str = "Video"
    Duration: float | None = Field(default=None, gt=0)
    X: float | None = None
    Y: float | None = None
    Width: float | None = Field(default=None, gt=0)
    Height: float | None = Field(default=None, gt=0)
    AdaptMode: Literal["Fill", "Contain", "Cover"] | None = None  # default: see placement.adapt_mode
    Opacity: float = Field(default=1.0, ge=0, le=1)

    @model_validator(mode="after")
    def _media(self) -> VideoTrackClip:
        if self.Type in VIDEO_CLIP_TYPES:
            self._require_one_media()
        return self


class AudioTrackClip(_MediaClip):
    Type: str = "Audio"
    LoopMode: bool = False

    @model_validator(mode="after")
    def _media(self) -> AudioTrackClip:
        if self.Type == "Audio":
            self._require_one_media()
        return self


class _Track(_Model):
    MainTrack: bool = False
    # "AutoSpeed" (the only documented value): a track other than the main one is sped up
    # (Shorten) or slowed down (Expand) to end with the main track; see render/spans.py.
    TrackShortenMode: str | None = None
    TrackExpandMode: str | None = None


class VideoTrack(_Track):
    Type: str = "Video"
    VideoTrackClips: list[VideoTrackClip] = Field(default=[], max_length=MAX_CLIPS_PER_TRACK)
    _image_track: int | None = PrivateAttr(default=None)  # read from ImageTracks[n] (see Timeline)

    def clip_key(self, t: int, c: int) -> str:
        """Where clip `c` of this track (VideoTracks[t]) stands in the request, for errors and notes."""
        if self._image_track is not None:
            return f"ImageTracks[{self._image_track}].ImageTrackClips[{c}]"
        return f"VideoTracks[{t}].VideoTrackClips[{c}]"


class ImageTrackClip(VideoTrackClip):
    """A clip of the deprecated ImageTracks: an image over the video tracks.

    Without TimelineIn and TimelineOut it shows "from the start time to the end time of the entire
    video" (alibabacloud.com/help/doc-detail/95485.htm, image overlay), i.e. as a GlobalImage.
    """

    Type: str = "Image"
    MediaId: str | None = Field(default=None, validation_alias=AliasChoices("MediaId", "ImageId"))

    def as_video_clip(self) -> VideoTrackClip:
        whole = self.TimelineIn is None and self.TimelineOut is None and self.Duration is None
        fields = self.model_dump(exclude_unset=True) | {"Type": "GlobalImage" if whole else self.Type}
        return VideoTrackClip.model_validate(fields)


class ImageTrack(_Model):
    ImageTrackClips: list[ImageTrackClip] = Field(default=[], max_length=MAX_CLIPS_PER_TRACK)


class AudioTrack(_Track):
    AudioTrackClips: list[AudioTrackClip] = Field(default=[], max_length=MAX_CLIPS_PER_TRACK)


class SubtitleTrack(_Model):
    SubtitleTrackClips: list[SubtitleTrackClip] = Field(default=[], max_length=MAX_CLIPS_PER_TRACK)


class EffectTrackItem(_Model):
    Type: str
    SubType: str | None = None
    TimelineIn: Seconds | None = None
    TimelineOut: Seconds | None = None
    Duration: Seconds | None = None
    # A region effect's box (mosaic_rect), of the output: fractions or pixels (ims-api.md §2.7).
    X: float | None = None
    Y: float | None = None
    Width: float | None = None
    Height: float | None = None


class EffectTrack(_Model):
    EffectTrackItems: list[EffectTrackItem] = Field(default=[], max_length=MAX_CLIPS_PER_TRACK)


class Canvas(_Model):
    Width: int = Field(gt=0)
    Height: int = Field(gt=0)


class Timeline(_Model):
    """A Timeline document; construct with `parse_timeline` to get IMS-style errors."""

    VideoTracks: list[VideoTrack] = Field(default=[], max_length=MAX_TRACKS)
    AudioTracks: list[AudioTrack] = Field(default=[], max_length=MAX_TRACKS)
    SubtitleTracks: list[SubtitleTrack] = Field(default=[], max_length=MAX_TRACKS)
    EffectTracks: list[EffectTrack] = Field(default=[], max_length=MAX_TRACKS)
    ImageTracks: list[ImageTrack] = Field(default=[], max_length=MAX_TRACKS)
    FECanvas: Canvas | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Timeline:
        if not self.VideoTracks and not self.AudioTracks:
            raise ValueError("Both video tracks and audio tracks are empty.")
        return self

    @model_validator(mode="after")
    def _image_tracks_above_video(self) -> Timeline:
        """ImageTracks become video tracks above the others: "Image tracks must be placed above
        video tracks" (Timeline configuration; the feature is "merged into the video track")."""
        if self.ImageTracks and not self.VideoTracks:
            raise ValueError("ImageTracks need VideoTracks (If image tracks exist, video tracks are required.)")
        for n, image_track in enumerate(self.ImageTracks):
            track = VideoTrack(VideoTrackClips=[clip.as_video_clip() for clip in image_track.ImageTrackClips])
            track._image_track = n
            self.VideoTracks.append(track)
        return self


# ---- OutputMediaConfig (§1.2) ----------------------------------------------------------------

MIN_SIDE, MAX_SIDE, MAX_SHORT_SIDE = 128, 4096, 2160


class VideoConfig(_Model):
    Codec: str | None = None
    Fps: float | None = Field(default=None, gt=0, le=120)
    Crf: int | None = Field(default=None, ge=0, le=51)
    Preset: (
        Literal[
            "ultrafast",
            "superfast",
            "veryfast",
            "faster",
            "fast",
            "medium",
            "slow",
            "slower",
            "veryslow",
        ]
        | None
    ) = None
    Profile: Literal["baseline", "main", "high"] | None = None
    Gop: int | None = Field(default=None, gt=0)


class AudioConfig(_Model):
    Codec: str | None = None
    Bitrate: int | None = Field(default=None, gt=0)
    Samplerate: int | None = Field(default=None, ge=8000, le=192000)
    Channels: int | None = Field(default=None, ge=1, le=2)


class OutputMediaConfig(_Model):
    MediaURL: str | None = None
    Width: int | None = Field(default=None, ge=MIN_SIDE, le=MAX_SIDE)
    Height: int | None = Field(default=None, ge=MIN_SIDE, le=MAX_SIDE)
    Bitrate: int | None = Field(default=None, gt=0, le=100_000)  # Kbps
    MaxDuration: float | None = Field(default=None, gt=0)
    Video: VideoConfig = VideoConfig()
    Audio: AudioConfig = AudioConfig()

    @model_validator(mode="after")
    def _short_side(self) -> OutputMediaConfig:
        if self.Width and self.Height and min(self.Width, self.Height) > MAX_SHORT_SIDE:
            raise ValueError(f"the shorter side of Width x Height must be at most {MAX_SHORT_SIDE}")
        return self


# ---- IMS-style errors ------------------------------------------------------------------------


def _location(root: str, loc: tuple[int | str, ...]) -> str:
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in _EFFECTS or part == "Other" or part.startswith("function-"):
            continue  # discriminator tags are not part of the document
        else:
            path += f".{part}"
    return path


def validation_error(root: str, exc: ValidationError) -> ImsError:
    """InvalidParameter naming the first failing field as `Timeline.VideoTracks[0]...`."""
    err = exc.errors(include_url=False)[0]
    message = str(err["msg"]).removeprefix("Value error, ")
    return ImsError("InvalidParameter", f"{_location(root, tuple(err['loc']))}: {message}")


def parse_timeline(data: Any) -> Timeline:
    try:
        return Timeline.model_validate(data)
    except ValidationError as exc:
        raise validation_error("Timeline", exc) from None


def parse_output(data: Any) -> OutputMediaConfig:
    try:
        return OutputMediaConfig.model_validate(data)
    except ValidationError as exc:
        raise validation_error("OutputMediaConfig", exc) from None
