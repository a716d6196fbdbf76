"""Settings: one typed object, documented in config/imsd.toml, overridden by IMSD_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest
from imsd.cli import main
from imsd.settings import ConfigError, Settings, documented_toml, load_settings
from pydantic import BaseModel

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


SECTIONS = sorted(name for name, value in Settings() if isinstance(value, BaseModel))


@pytest.mark.parametrize("section", SECTIONS)
def test_a_misspelt_key_in_any_section_is_refused_naming_the_closest_setting(section: str, tmp_path: Path) -> None:
    model = type(getattr(Settings(), section))
    key = next(iter(model.model_fields))
    config = tmp_path / "imsd.toml"
    config.write_text(f"[{section}]\n{key}x = 1\n")
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    assert str(refused.value) == (
        f"{section}.{key}x (in {config} or IMSD_{section.upper()}__{key.upper()}X): not a setting (did you mean {key}?)"
    )


def test_a_misspelt_environment_variable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMSD_LIMITER__SUBMITRAT", "20")
    with pytest.raises(ConfigError, match=r"limiter\.submitrat .*IMSD_LIMITER__SUBMITRAT.*did you mean submit_rate"):
        load_settings(ROOT / "config" / "imsd.toml")


def test_a_variable_naming_no_section_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMSD_LIMTER__SUBMIT_RATE", "20")
    with pytest.raises(ConfigError, match=r"^IMSD_LIMTER__SUBMIT_RATE: not a setting \(did you mean IMSD_LIMITER\?\)$"):
        load_settings(ROOT / "config" / "imsd.toml")


def test_a_bad_value_is_named_without_repeating_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMSD_CALLBACKS__AUTH_KEYS", "NotJsonSecret")
    monkeypatch.setenv("IMSD_LIMITER__SUBMIT_RATE", "fastSecret")
    with pytest.raises(ConfigError) as refused:
        load_settings(ROOT / "config" / "imsd.toml")
    assert "callbacks" in str(refused.value)
    assert "Secret" not in str(refused.value) and "Secret" not in repr(refused.value.__cause__)


def test_the_config_command_never_writes_a_secret_placeholder(tmp_path: Path) -> None:
    written = documented_toml(Settings(callbacks={"auth_keys": ["Secret123Key"]}))
    assert "Secret123Key" not in written and "***" not in written
    config = tmp_path / "imsd.toml"
    config.write_text(written)
    assert load_settings(config).callbacks.auth_keys == []  # read back: no key, not a placeholder key


def test_the_cli_prints_a_config_problem_as_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "imsd.toml"
    config.write_text("[limiter]\nsubmit_rat = 20\n")
    assert main(["status", "--config", str(config)]) == 2
    assert capsys.readouterr().err == (
        f"imsd: config: limiter.submit_rat (in {config} or IMSD_LIMITER__SUBMIT_RAT): not a setting"
        " (did you mean submit_rate?)\n"
    )
