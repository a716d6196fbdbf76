"""Pydantic models of the five submit APIs and of the JSON documents they carry.

The models are a check, not a rewrite: `imsd.api.validation` runs them and then forwards the
caller's own values, so every model keeps unknown fields (`extra="allow"`) and declares only the
fields a documented rule applies to (docs/ims-api.md §1–5, §10). Field names are the wire names, so a
pydantic error location already is the path the producer has to fix.

A rule that spans fields raises `rule()` or `required()` carrying the path below the model that
found the problem; validation.py appends it to pydantic's location.

A field named like its own model class (`UserData: UserData`) keeps its default inside
`Annotated`: a class-level `= None` would rebind the name before the annotation is evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from enum import StrEnum
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from imsd.api.wire import USER_DATA_MAX_BYTES, Api, compact_json

__all__ = [
    "MISSING_ERROR",
    "PARAMS_MODELS",
    "RULE_ERROR",
    "AudioLevel",
    "BatchOutputTarget",
    "BatchProductionParams",
    "ClipPickList",
    "CoverConfig",
    "EditingConfig",
    "EditingProduceConfig",
    "Fraction",
    "HighlightStrategy",
    "IdempotencyToken",
    "ImsModel",
    "InputConfig",
    "IntroConfig",
    "JsonContainer",
    "LibSearchCondition",
    "MatchClip",
    "MatchedScript",
    "MatchedSentence",
    "MediaConfig",
    "MediaGroup",
    "MediaMetaData",
    "MediaPickList",
    "MediaSearchInput",
    "MediaSelectResult",
    "MediaSelectionJobType",
    "NonNegativeSeconds",
    "OutputConfig",
    "OutputDimension",
    "OutputMediaConfig",
    "OutputMediaTarget",
    "OutputSize",
    "PathSegment",
    "PositiveSeconds",
    "ProcessConfig",
    "ProjectIdList",
    "ProjectsOutputConfig",
    "SpeechConfig",
    "SpeechTextList",
    "Sticker",
    "SubHeading",
    "SubmitBatchMediaProducingJobParams",
    "SubmitMediaProducingJobParams",
    "SubmitParams",
    "SubmitSceneBatchEditingJobParams",
    "SubmitSceneMediaSelectionJobParams",
    "SubmitSceneTimelineOrganizationJobParams",
    "TextSize",
    "TextStyle",
    "TimeRange",
    "TimelineOrganizationJobType",
    "TitleList",
    "UserData",
    "VolumeLevel",
    "required",
    "rule",
]

RULE_ERROR = "ims_rule"
MISSING_ERROR = "ims_missing"

PathSegment = str | int


def rule(problem: str, *at: PathSegment) -> PydanticCustomError:
    """A broken documented rule; `at` locates the offending field below the current model."""
    # The problem travels in the context, not the template, so text such as "{index}" in it is
    # never taken for a placeholder.
    return PydanticCustomError(RULE_ERROR, "{problem}", {"problem": problem, "at": at})


def required(*at: PathSegment) -> PydanticCustomError:
    """A field that only a combination of other fields makes required."""
    return PydanticCustomError(MISSING_ERROR, "is required", {"at": at})


_Bounded = TypeVar("_Bounded", bound=Sized)


def _between(low: float, high: float) -> Callable[[float], float]:
    def check(value: float) -> float:
        if not low <= value <= high:  # written so that NaN fails too
            raise rule(f"must be between {low} and {high}")
        return value

    return check


def _at_least(low: float) -> Callable[[float], float]:
    def check(value: float) -> float:
        if not value >= low:
            raise rule(f"must be at least {low}")
        return value

    return check


def _positive(value: float) -> float:
    if not value > 0:
        raise rule("must be greater than 0")
    return value


def _at_most_chars(limit: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        if len(value) > limit:
            raise rule(f"must be at most {limit} characters, is {len(value)}")
        return value

    return check


def _item_count(low: int, high: int) -> Callable[[_Bounded], _Bounded]:
    expected = f"at most {high}" if low == 0 else f"{low} to {high}"

    def check(value: _Bounded) -> _Bounded:
        if not low <= len(value) <= high:
            raise rule(f"must have {expected} items, has {len(value)}")
        return value

    return check


def _object_or_array(value: Any) -> Any:
    if not isinstance(value, dict | list):
        raise rule("must be a JSON object or array")
    return value


def _ascii_token(value: str) -> str:
    if len(value) > 64 or not value.isascii():
        raise rule("must be at most 64 ASCII characters")
    return value


def _comma_separated_ids(value: str) -> str:
    for position, item in enumerate(value.split(","), start=1):
        if not item.strip():
            raise rule(f"project ID {position} of the comma-separated list is empty")
    return value


VolumeLevel = Annotated[float, AfterValidator(_between(0, 10))]
Fraction = Annotated[float, AfterValidator(_between(0, 1))]
PositiveSeconds = Annotated[float, AfterValidator(_positive)]
NonNegativeSeconds = Annotated[float, AfterValidator(_at_least(0))]
OutputDimension = Annotated[int, AfterValidator(_between(128, 4096))]
TextSize = Annotated[int, AfterValidator(_between(0, 5000))]
TitleList = Annotated[list[Annotated[str, AfterValidator(_at_most_chars(50))]], AfterValidator(_item_count(0, 50))]
SpeechTextList = Annotated[
    list[Annotated[str, AfterValidator(_at_most_chars(1000))]], AfterValidator(_item_count(0, 50))
]
# "Pick one per output" arrays (§3.3); intro/outro item shapes are not documented, hence Any.
MediaPickList = Annotated[list[str], AfterValidator(_item_count(0, 50))]
ClipPickList = Annotated[list[Any], AfterValidator(_item_count(0, 50))]
JsonContainer = Annotated[Any, AfterValidator(_object_or_array)]
IdempotencyToken = Annotated[str, AfterValidator(_ascii_token)]
ProjectIdList = Annotated[str, AfterValidator(_comma_separated_ids)]


class ImsModel(BaseModel):
    """Base of every model: unknown fields are kept; NaN and infinity are not JSON numbers."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)


# --- shared pieces ---------------------------------------------------------------------------


class OutputSize(ImsModel):
    """Output resolution limits, the same for single and batch outputs (§1.1)."""

    Width: OutputDimension | None = None
    Height: OutputDimension | None = None

    @model_validator(mode="after")
    def _shorter_side_at_most_2160(self) -> Self:
        if self.Width is not None and self.Height is not None and min(self.Width, self.Height) > 2160:
            shorter = "Width" if self.Width <= self.Height else "Height"
            raise rule(f"the shorter side must be at most 2160 px, is {self.Width}x{self.Height}", shorter)
        return self


class TextStyle(ImsModel):
    """Font settings shared by titles, subheadings and speech captions (§2.5, §3.7)."""

    FontSize: TextSize | None = None
    FontColorOpacity: Fraction | None = None


class AudioLevel(ImsModel):
    """A 0–10 level, `Volume` now and `Gain` in older examples; both are accepted (§10.3)."""

    Volume: VolumeLevel | None = None
    Gain: VolumeLevel | None = None


class UserData(ImsModel):
    """Caller data echoed in callbacks; the service caps its JSON text at 512 bytes (§1.1, §6)."""

    NotifyAddress: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _fits_in_512_bytes(cls, data: Any) -> Any:
        if isinstance(data, dict):
            size = len(compact_json(data).encode())
            if size > USER_DATA_MAX_BYTES:
                raise rule(f"must be at most {USER_DATA_MAX_BYTES} bytes as compact JSON, is {size}")
        return data

    @model_validator(mode="after")
    def _notify_address_is_callable(self) -> Self:
        address = self.NotifyAddress
        if address is not None and not (
            address.lower().startswith(("http://", "https://")) or address.startswith("ice-callback")
        ):
            raise rule(
                "must be an http(s) URL or an MNS queue name starting with ice-callback",
                "NotifyAddress",
            )
        return self


class SubmitParams(ImsModel):
    """Parameters every submit API takes."""

    UserData: Annotated[UserData | None, Field(default=None)]


class IdempotentSubmit(ImsModel):
    """The ClientToken of the APIs that declare one (`Api.takes_client_token`)."""

    ClientToken: IdempotencyToken | None = None


# --- SubmitMediaProducingJob (§1) ------------------------------------------------------------


class OutputMediaTarget(StrEnum):
    OSS_OBJECT = "oss-object"
    VOD_MEDIA = "vod-media"
    S3 = "S3"


class OutputMediaConfig(OutputSize):
    """Where a single job writes; MediaURL is taken literally, without `{index}` (§1.2)."""

    MediaURL: str | None = None
    StorageLocation: str | None = None
    FileName: str | None = None
    MaxDuration: PositiveSeconds | None = None


class CoverConfig(ImsModel):
    StartTime: NonNegativeSeconds | None = None


class EditingProduceConfig(ImsModel):
    AutoRegisterInputVodMedia: bool | None = None
    OutputWebmTransparentChannel: bool | None = None
    CoverConfig: Annotated[CoverConfig | None, Field(default=None)]


_PROJECT_SOURCES = ("ProjectId", "Timeline", "TemplateId")


class SubmitMediaProducingJobParams(SubmitParams, IdempotentSubmit):
    ProjectId: str | None = None
    # Only "is an object" here: imsd.api.timeline owns the track and clip rules.
    Timeline: dict[str, Any] | None = None
    TemplateId: str | None = None
    ClipsParam: dict[str, Any] | None = None
    OutputMediaConfig: OutputMediaConfig
    OutputMediaTarget: Annotated[OutputMediaTarget | None, Field(default=None)]
    EditingProduceConfig: Annotated[EditingProduceConfig | None, Field(default=None)]
    ProjectMetadata: dict[str, Any] | None = None
    MediaMetadata: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_project_source(self) -> Self:
        given = [name for name in _PROJECT_SOURCES if getattr(self, name) is not None]
        if not given:
            raise rule("exactly one is required, none was given", "|".join(_PROJECT_SOURCES))
        if len(given) > 1:
            raise rule(
                f"not allowed together with {given[0]}: give exactly one of " + ", ".join(_PROJECT_SOURCES),
                given[1],
            )
        if self.TemplateId is not None and self.ClipsParam is None:
            raise required("ClipsParam")
        if self.TemplateId is None and self.ClipsParam is not None:
            raise rule("only allowed with TemplateId", "ClipsParam")
        return self

    @model_validator(mode="after")
    def _output_names_its_target(self) -> Self:
        output = self.OutputMediaConfig
        target = self.OutputMediaTarget or OutputMediaTarget.OSS_OBJECT
        if target is OutputMediaTarget.OSS_OBJECT and not output.MediaURL:
            raise required("OutputMediaConfig", "MediaURL")
        if target is OutputMediaTarget.VOD_MEDIA:
            for name in ("StorageLocation", "FileName"):
                if not getattr(output, name):
                    raise required("OutputMediaConfig", name)
        return self


# --- InputConfig of batch and scene jobs (§3.2–3.6) ------------------------------------------


class MediaGroup(ImsModel):
    """One storyboard slot of Script mode: one shot per output is taken from its media."""

    GroupName: Annotated[str, AfterValidator(_at_most_chars(50))]
    MediaArray: Annotated[list[str], AfterValidator(_item_count(1, 200))]
    SpeechTextArray: SpeechTextList | None = None
    Duration: PositiveSeconds | None = None
    Volume: VolumeLevel | None = None


def _unique_group_names(groups: list[MediaGroup]) -> list[MediaGroup]:
    seen: set[str] = set()
    for index, group in enumerate(groups):
        if group.GroupName in seen:
            raise rule(f'duplicate group name "{group.GroupName}"', index, "GroupName")
        seen.add(group.GroupName)
    return groups


class LibSearchCondition(ImsModel):
    SearchLibs: list[str] | None = None
    SearchText: str | None = None


class MediaSearchInput(ImsModel):
    """Smart_Mix materials found by a library search instead of listed (§3.4)."""

    LibSearchCondition: Annotated[LibSearchCondition | None, Field(default=None)]


class IntroConfig(ImsModel):
    Mode: Literal["Auto", "Disabled"] | None = None


class HighlightStrategy(ImsModel):
    """Screen_Media_Highlights settings (§3.5); the field list is partly unconfirmed."""

    IntroConfig: Annotated[IntroConfig | None, Field(default=None)]
    TargetDuration: Annotated[float, AfterValidator(_at_least(5))] | None = None
    EnableActionRecog: bool | None = None


class SubHeading(ImsModel):
    Level: Annotated[int, AfterValidator(_between(1, 5))]
    TitleArray: TitleList


class Sticker(ImsModel):
    MediaId: str | None = None
    MediaURL: str | None = None
    DyncFrames: Annotated[int, AfterValidator(_between(0, 100))] | None = None
    Opacity: Fraction | None = None

    @model_validator(mode="after")
    def _names_its_image(self) -> Self:
        if not (self.MediaId or self.MediaURL):
            raise rule("one of MediaId or MediaURL is required", "MediaId|MediaURL")
        return self


class InputConfig(ImsModel):
    """What a batch or scene job edits; which media field is present selects the mode (§3.2)."""

    MediaGroupArray: (
        Annotated[
            list[MediaGroup],
            AfterValidator(_item_count(1, 40)),
            AfterValidator(_unique_group_names),
        ]
        | None
    ) = None
    MediaArray: list[str] | None = None
    MediaSearchInput: Annotated[MediaSearchInput | None, Field(default=None)]
    InputMedia: str | None = None  # Sports_Highlights: the one match video
    HighlightStrategy: Annotated[HighlightStrategy | None, Field(default=None)]
    TitleArray: TitleList | None = None
    SubHeadingArray: list[SubHeading] | None = None
    SpeechTextArray: SpeechTextList | None = None
    StickerArray: list[Sticker] | None = None
    BackgroundMusicArray: MediaPickList | None = None
    BackgroundImageArray: MediaPickList | None = None
    OpeningArray: ClipPickList | None = None
    EndingArray: ClipPickList | None = None

    @property
    def group_speech(self) -> bool:
        """Group speech mode: voice-over scripts are given per group (§3.9)."""
        return any(group.SpeechTextArray for group in self.MediaGroupArray or ())

    @model_validator(mode="after")
    def _has_media_and_one_speech_mode(self) -> Self:
        if not (self.MediaGroupArray or self.MediaArray or self.MediaSearchInput is not None or self.InputMedia):
            raise rule("one of MediaGroupArray, MediaArray, MediaSearchInput or InputMedia is required")
        if self.SpeechTextArray:
            for index, group in enumerate(self.MediaGroupArray or ()):
                if group.SpeechTextArray:
                    raise rule(
                        "not allowed together with InputConfig.SpeechTextArray: voice-over is "
                        "either global or per group",
                        "MediaGroupArray",
                        index,
                        "SpeechTextArray",
                    )
        return self


# --- EditingConfig (§3.7) --------------------------------------------------------------------


class TimeRange(ImsModel):
    In: NonNegativeSeconds
    Out: PositiveSeconds

    @model_validator(mode="after")
    def _out_after_in(self) -> Self:
        if self.Out <= self.In:
            raise rule("must be greater than In", "Out")
        return self


class MediaMetaData(ImsModel):
    """Usable ranges of one input; GroupName is required in Script mode (checked by the job)."""

    Media: str
    GroupName: str | None = None
    TimeRangeList: list[TimeRange] | None = None


class MediaConfig(AudioLevel):
    MediaMetaDataArray: list[MediaMetaData] | None = None


class SpeechConfig(AudioLevel):
    AsrConfig: TextStyle | None = None


class ProcessConfig(ImsModel):
    SingleShotDuration: PositiveSeconds | None = None
    ImageDuration: PositiveSeconds | None = None
    TransitionDuration: PositiveSeconds | None = None
    VfxEffectProbability: Fraction | None = None
    AlignmentMode: Literal["AutoSpeed", "Cut"] | None = None
    EnableClipSplit: bool | None = None
    AllowVfxEffect: bool | None = None
    AllowTransition: bool | None = None
    UseUniformTransition: bool | None = None
    AllowFilter: bool | None = None


class EditingConfig(ImsModel):
    MediaConfig: Annotated[MediaConfig | None, Field(default=None)]
    SpeechConfig: Annotated[SpeechConfig | None, Field(default=None)]
    TitleConfig: TextStyle | None = None
    # Keyed by subheading level as a string: {"1": {...}, "3": {...}}.
    SubHeadingConfig: dict[Literal["1", "2", "3", "4", "5"], TextStyle] | None = None
    BackgroundMusicConfig: AudioLevel | None = None
    ProcessConfig: Annotated[ProcessConfig | None, Field(default=None)]


# --- OutputConfig of batch and scene jobs (§3.8, §5.3) ---------------------------------------


class BatchOutputTarget(OutputSize):
    """Naming and limits of the outputs of every batch and scene API."""

    MediaURL: str | None = None
    StorageLocation: str | None = None
    FileName: str | None = None
    MaxDuration: PositiveSeconds | None = None
    FixedDuration: PositiveSeconds | None = None

    @model_validator(mode="after")
    def _names_each_output(self) -> Self:
        # Without {index} every output of the batch would overwrite the same object (§10.6).
        numbered = "must contain {index}, which numbers the outputs"
        if self.MediaURL:
            if "{index}" not in self.MediaURL:
                raise rule(numbered, "MediaURL")
        elif self.StorageLocation or self.FileName:
            if not self.StorageLocation:
                raise required("StorageLocation")
            if not self.FileName:
                raise required("FileName")
            if "{index}" not in self.FileName:
                raise rule(numbered, "FileName")
        else:
            raise required("MediaURL")
        return self


class OutputConfig(BatchOutputTarget):
    Count: Annotated[int, AfterValidator(_between(1, 100))] | None = None
    GeneratePreviewOnly: bool | None = None


class ProjectsOutputConfig(BatchOutputTarget):
    """SubmitSceneBatchEditingJob renders one output per project, so there is nothing to count."""

    @model_validator(mode="before")
    @classmethod
    def _no_count_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in ("Count", "GeneratePreviewOnly"):
                if name in data:
                    raise rule(
                        "not accepted by SubmitSceneBatchEditingJob, which renders one output per project",
                        name,
                    )
        return data


# --- the batch and scene APIs (§3, §5) -------------------------------------------------------


class BatchProductionParams(SubmitParams):
    """The InputConfig/EditingConfig/OutputConfig trio and the rules that span it."""

    InputConfig: Annotated[InputConfig | None, Field(default=None)]
    EditingConfig: Annotated[EditingConfig | None, Field(default=None)]
    OutputConfig: OutputConfig

    @model_validator(mode="after")
    def _fits_the_script_mode(self) -> Self:
        inputs = self.InputConfig
        if inputs is None or not inputs.MediaGroupArray:
            return self
        # In group speech mode each group lasts as long as its speech: no length to fix.
        if inputs.group_speech and self.OutputConfig.FixedDuration is not None:
            raise rule(
                "not allowed in group speech mode (SpeechTextArray inside MediaGroupArray)",
                "OutputConfig",
                "FixedDuration",
            )
        media = self.EditingConfig.MediaConfig if self.EditingConfig else None
        for index, meta in enumerate((media.MediaMetaDataArray if media else None) or ()):
            if not meta.GroupName:
                raise required("EditingConfig", "MediaConfig", "MediaMetaDataArray", index, "GroupName")
        return self


class SubmitBatchMediaProducingJobParams(BatchProductionParams, IdempotentSubmit):
    TemplateConfig: JsonContainer | None = None

    @model_validator(mode="after")
    def _input_or_template(self) -> Self:
        if self.InputConfig is None and self.TemplateConfig is None:
            raise required("InputConfig")
        return self


class MediaSelectionJobType(StrEnum):
    SMART_MIX = "Smart_Mix_Media_Select"
    SCREEN_MEDIA_HIGHLIGHTS = "Screen_Media_Highlights_Media_Select"


class TimelineOrganizationJobType(StrEnum):
    SMART_MIX = "Smart_Mix_Timeline_Organize"
    SCREEN_MEDIA_HIGHLIGHTS = "Screen_Media_Highlights_Timeline_Organize"


class SubmitSceneMediaSelectionJobParams(BatchProductionParams):
    JobType: MediaSelectionJobType
    InputConfig: InputConfig


class MatchClip(ImsModel):
    mediaId: str
    startTime: NonNegativeSeconds
    endTime: PositiveSeconds

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        if self.endTime <= self.startTime:
            raise rule("must be greater than startTime", "endTime")
        return self


class MatchedSentence(ImsModel):
    text: str | None = None
    duration: PositiveSeconds | None = None
    matchClipList: list[MatchClip] | None = None


class MatchedScript(ImsModel):
    textMatchMediaSentenceOutputList: list[MatchedSentence]


class MediaSelectResult(ImsModel):
    """A media-selection ExtendOutput (§5.1); only the Smart_Mix shape is documented."""

    textMatchMediaOutputList: list[MatchedScript] | None = None


class SubmitSceneTimelineOrganizationJobParams(BatchProductionParams):
    JobType: TimelineOrganizationJobType
    InputConfig: InputConfig
    MediaSelectResult: MediaSelectResult

    @model_validator(mode="after")
    def _smart_mix_result_has_matches(self) -> Self:
        if (
            self.JobType is TimelineOrganizationJobType.SMART_MIX
            and self.MediaSelectResult.textMatchMediaOutputList is None
        ):
            raise required("MediaSelectResult", "textMatchMediaOutputList")
        return self


class SubmitSceneBatchEditingJobParams(SubmitParams):
    ProjectIds: ProjectIdList
    OutputConfig: ProjectsOutputConfig


PARAMS_MODELS: dict[Api, type[SubmitParams]] = {
    Api.SUBMIT_MEDIA_PRODUCING_JOB: SubmitMediaProducingJobParams,
    Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB: SubmitBatchMediaProducingJobParams,
    Api.SUBMIT_SCENE_MEDIA_SELECTION_JOB: SubmitSceneMediaSelectionJobParams,
    Api.SUBMIT_SCENE_TIMELINE_ORGANIZATION_JOB: SubmitSceneTimelineOrganizationJobParams,
    Api.SUBMIT_SCENE_BATCH_EDITING_JOB: SubmitSceneBatchEditingJobParams,
}
