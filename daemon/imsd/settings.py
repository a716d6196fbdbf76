"""All settings as one typed object.

Sources, strongest first: `IMSD_*` environment variables (nested with `__`, e.g.
`IMSD_LIMITER__SUBMIT_RATE=20`), then the TOML file (`--config`, `IMSD_CONFIG`, else
config/imsd.toml when present), then the defaults below. Secrets are never stored here as
plain strings: they are `SecretStr` (hidden in repr and logs) and may be read from files.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from imsd.engine.settings import EngineSettings


class RedisSettings(BaseModel):
    url: str = Field("redis://127.0.0.1:6379/0", description="Redis holding streams, records, queues.")
    prefix: str = Field("imsd", description="Prefix of every key and stream the daemon uses.")


class IntakeSettings(BaseModel):
    group: str = Field("imsd", description="Consumer group reading the requests stream.")
    batch: int = Field(100, ge=1, description="Stream entries read per XREADGROUP call.")
    block_ms: int = Field(1000, ge=1, description="How long one read waits for new entries.")
    claim_idle_s: float = Field(
        30.0, gt=0, description="Entries a dead consumer read but never acked are re-claimed after this."
    )


class AliyunSettings(BaseModel):
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


class LimiterSettings(BaseModel):
    enabled: bool = Field(True, description="Off only for benchmarks of the daemon's own overhead.")
    submit_rate: float = Field(
        29.4, gt=0, description="Calls per second per submit API, a little under the service's 30 QPS."
    )
    poll_rate: float = Field(10.0, gt=0, description="Calls per second per Get* API, polls' own budget.")
    rates: dict[str, float] = Field(
        default_factory=dict, description="Per-action overrides, e.g. {GetMediaProducingJob = 20}."
    )
    throttle_penalty_s: float = Field(
        1.0, ge=0, description="How far a Throttling reply pushes every process's schedule back."
    )


class SubmitSettings(BaseModel):
    max_attempts: int = Field(8, ge=1, description="HTTP attempts (throttles excluded) before a submit fails.")
    backoff_base_s: float = Field(0.5, gt=0, description="First retry delay; doubles per attempt, with jitter.")
    backoff_max_s: float = Field(30.0, gt=0, description="Longest retry delay.")
    reconcile_after_s: float = Field(
        600.0,
        gt=0,
        description="A record left SUBMITTING for longer is looked up at the backend before any resend.",
    )


class TrackingSettings(BaseModel):
    first_poll_s: float = Field(5.0, ge=0, description="First poll after a submit (callbacks usually come first).")
    poll_min_s: float = Field(2.0, gt=0, description="Shortest interval between polls of one job.")
    poll_max_s: float = Field(120.0, gt=0, description="Longest interval between polls of one job.")
    backoff_factor: float = Field(1.5, ge=1, description="Interval growth per unfinished poll.")


class CallbackSettings(BaseModel):
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


class HttpSettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address of callbacks, /metrics, /livez, /readyz.")
    port: int = Field(8787, ge=0, le=65535, description="Port of the daemon's HTTP server (0 = any free port).")


class WorkerSettings(BaseModel):
    max_jobs: int = Field(200, ge=1, description="Submit/track tasks one process runs at once.")
    task_timeout_s: float = Field(
        60.0, gt=0, description="A task of a killed worker is re-run this long (+10 s) after it started."
    )
    stop_grace_s: float = Field(20.0, ge=0, description="On SIGTERM, in-flight tasks get this long to finish.")
    poll_delay_s: float = Field(0.05, gt=0, description="How often the worker looks for due tasks.")


class RetentionSettings(BaseModel):
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


class LogSettings(BaseModel):
    level: Literal["debug", "info", "warning", "error"] = Field("info", description="Least severe level logged.")
    format: Literal["auto", "json", "console"] = Field(
        "auto", description="auto: console on a terminal, JSON otherwise."
    )


class Settings(BaseSettings):
    """Everything the daemon, the engine workers and the CLI read."""

    model_config = SettingsConfigDict(env_prefix="IMSD_", env_nested_delimiter="__", extra="forbid")

    backend: Literal["local", "aliyun"] = Field("local", description="Where jobs run.")
    redis: RedisSettings = RedisSettings()
    intake: IntakeSettings = IntakeSettings()
    aliyun: AliyunSettings = AliyunSettings()
    limiter: LimiterSettings = LimiterSettings()
    submit: SubmitSettings = SubmitSettings()
    tracking: TrackingSettings = TrackingSettings()
    callbacks: CallbackSettings = CallbackSettings()
    http: HttpSettings = HttpSettings()
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

    def key(self, *parts: str) -> str:
        """A Redis key under the configured prefix."""
        return ":".join((self.redis.prefix, *parts))


DEFAULT_CONFIG = Path("config/imsd.toml")


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Settings from `path` (or IMSD_CONFIG, or config/imsd.toml if present) and the environment."""
    if path is None and os.environ.get("IMSD_CONFIG"):
        path = Path(os.environ["IMSD_CONFIG"])
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    data: dict[str, Any] = tomllib.loads(path.read_text()) if path else {}
    for section, values in overrides.items():
        if isinstance(values, dict):
            data.setdefault(section, {}).update(values)
        else:
            data[section] = values
    return Settings(**data)


def _toml_value(value: Any) -> str:
    if isinstance(value, SecretStr):
        return '"***"'
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
            else:
                lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)
