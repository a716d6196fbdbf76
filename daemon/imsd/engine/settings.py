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
    ffmpeg: str = Field(default="ffmpeg", description="ffmpeg executable (name on PATH or path).")
    ffprobe: str = Field(default="ffprobe", description="ffprobe executable (name on PATH or path).")
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
    concurrency: int = Field(default=1, ge=1, description="Renders one engine worker runs at a time.")

    def font_family(self, name: str | None) -> str:
        return self.fonts.get(name or "", self.default_font)
