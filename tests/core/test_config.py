from __future__ import annotations

from pathlib import Path

import pytest

from deerdesk.core.config import load_settings, save_user_settings


def test_layers_and_sources(tmp_path):
    system = tmp_path / "system.toml"
    system.write_text(
        'base_url = "https://gateway.studio.example"\nformats = ["wav"]\nlocked = ["base_url"]\n'
    )
    user = tmp_path / "user.toml"
    user.write_text('base_url = "https://elsewhere.example"\nmax_concurrent_creates = 2\n')
    settings = load_settings(
        {"data_dir": str(tmp_path / "d")}, env={}, system_paths=[system], user_path=user
    )
    assert settings.base_url == "https://gateway.studio.example"
    assert settings.source_of("base_url") == "system" and "base_url" in settings.locked
    assert any("locked" in p for p in settings.problems)
    assert settings.formats == ("wav",) and settings.max_concurrent_creates == 2
    assert settings.source_of("max_concurrent_creates") == "user"
    assert settings.data_dir == tmp_path / "d" and settings.source_of("data_dir") == "flag"
    assert settings.library == tmp_path / "d" / "library"


def test_env_overrides_user(tmp_path):
    user = tmp_path / "user.toml"
    user.write_text('base_url = "https://a.example"\n')
    settings = load_settings(
        {}, env={"DEERDESK_BASE_URL": "http://127.0.0.1:8765"}, system_paths=[], user_path=user
    )
    assert settings.base_url == "http://127.0.0.1:8765" and settings.source_of("base_url") == "env"


def test_corrupt_file_and_bad_values_are_reported_not_fatal(tmp_path):
    user = tmp_path / "user.toml"
    user.write_text("base_url = [unclosed\n")
    settings = load_settings({}, env={}, system_paths=[], user_path=user)
    assert settings.base_url == "https://api.deerapi.com"
    assert "could not be read" in settings.problems[0]
    user.write_text('base_url = "not a url"\nformats = ["flac"]\nwhat = 1\n')
    settings = load_settings({}, env={}, system_paths=[], user_path=user)
    assert settings.base_url == "https://api.deerapi.com" and settings.formats == ("wav", "mp3")
    assert len(settings.problems) == 3
    assert any("base_url" in p and "ignored" in p for p in settings.problems)


def test_saving_the_user_layer_round_trips(tmp_path):
    user = tmp_path / "cfg" / "config.toml"
    settings = load_settings({}, env={}, system_paths=[], user_path=user)
    changed = save_user_settings(settings, {"last_duration": 7.3, "formats": ["mp3"]}, user)
    assert changed.last_duration == 7.3 and changed.formats == ("mp3",)
    reloaded = load_settings({}, env={}, system_paths=[], user_path=user)
    assert reloaded.last_duration == 7.3 and reloaded.formats == ("mp3",)
    locked = load_settings({}, env={}, system_paths=[], user_path=user)
    object.__setattr__(locked, "locked", frozenset({"base_url"}))
    with pytest.raises(ValueError, match="locked"):
        save_user_settings(locked, {"base_url": "https://x.example"}, user)
    assert not list(Path(user.parent).glob(".*.tmp"))
