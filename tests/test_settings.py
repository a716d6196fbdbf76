"""Settings: one typed object, documented in config/imsd.toml, overridden by IMSD_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest
from imsd.settings import Settings, documented_toml, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_the_shipped_config_documents_every_setting_with_its_default() -> None:
    assert (ROOT / "config" / "imsd.toml").read_text() == documented_toml(Settings())


def test_the_shipped_config_loads_to_the_defaults() -> None:
    assert load_settings(ROOT / "config" / "imsd.toml") == Settings()


def test_environment_variables_override_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMSD_LIMITER__SUBMIT_RATE", "12.5")
    monkeypatch.setenv("IMSD_BACKEND", "aliyun")
    settings = load_settings(ROOT / "config" / "imsd.toml")
    assert settings.limiter.submit_rate == 12.5
    assert settings.backend == "aliyun"


def test_callback_keys_are_hidden_in_repr_and_readable_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "keys"
    key_file.write_text("Rotated123Key\n")
    settings = Settings(callbacks={"auth_keys": ["Secret123Key"], "auth_keys_file": key_file})
    assert "Secret123Key" not in repr(settings)
    assert settings.callbacks.keys() == ["Secret123Key", "Rotated123Key"]


def test_local_backend_without_public_url_notifies_its_own_http_address() -> None:
    settings = Settings(http={"host": "0.0.0.0", "port": 9000})
    assert settings.notify_address() == "http://127.0.0.1:9000/callbacks/ims"
    assert Settings(backend="aliyun", http={"port": 9000}).notify_address() == ""
