"""Settings in one typed object, layered: defaults < system policy < user file < env < flags.

Each value remembers where it came from; the system policy file can lock values so that a
workstation an administrator configured stays configured. A file that cannot be read is
reported in `problems` and skipped, never fatal: the lower layers still apply.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from deerdesk.api.errors import ValidationError
from deerdesk.api.models import validate_http_url

APP = "DeerDesk"
DEFAULT_BASE_URL = "https://api.deerapi.com"


@dataclass(frozen=True)
class Settings:
    base_url: str = DEFAULT_BASE_URL
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir(APP)))
    library_dir: Path | None = None
    formats: tuple[str, ...] = ("wav", "mp3")
    max_concurrent_creates: int = 4
    poll_first_seconds: float = 1.5
    poll_cap_seconds: float = 15.0
    requests_per_second: float = 10.0
    profile: str = "default"
    last_duration: float = 5.0
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    locked: frozenset[str] = field(default_factory=frozenset, compare=False)
    problems: tuple[str, ...] = field(default=(), compare=False)

    @property
    def library(self) -> Path:
        return self.library_dir or self.data_dir / "library"

    @property
    def database(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def source_of(self, name: str) -> str:
        return self.sources.get(name, "default")


SETTING_NAMES = tuple(
    f.name for f in fields(Settings) if f.name not in ("sources", "locked", "problems")
)


def _convert(name: str, value: Any) -> Any:
    """One raw value (from TOML, env or a flag) to its typed form, or ValueError saying why."""
    if name == "base_url":
        try:
            return validate_http_url(str(value), "base_url").rstrip("/")
        except ValidationError as exc:
            raise ValueError(exc.message) from None
    if name in ("data_dir", "library_dir"):
        if not isinstance(value, (str, Path)) or not str(value).strip():
            raise ValueError("must be a folder path")
        return Path(os.path.expanduser(str(value)))
    if name == "formats":
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise ValueError('must be a list such as ["wav", "mp3"]')
        formats = tuple(str(x).strip().lower() for x in items if str(x).strip())
        if not formats or any(f not in ("wav", "mp3") for f in formats):
            raise ValueError('must name "wav", "mp3" or both')
        return formats
    if name == "max_concurrent_creates":
        number = int(value)
        if not 1 <= number <= 50:
            raise ValueError("must be between 1 and 50")
        return number
    if name in ("poll_first_seconds", "poll_cap_seconds", "requests_per_second"):
        number = float(value)
        if not 0.01 <= number <= 3600:
            raise ValueError("must be between 0.01 and 3600")
        return number
    if name == "last_duration":
        number = round(float(value), 1)
        return min(10.0, max(3.0, number))
    if name == "profile":
        text = str(value).strip()
        if not text or not text.replace("-", "").replace("_", "").isalnum():
            raise ValueError("must be letters, digits, - or _")
        return text
    raise ValueError("is not a setting")


def system_config_paths() -> list[Path]:
    dirs = os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
    return [Path(d) / "deerdesk" / "config.toml" for d in dirs.split(":") if d][::-1]


def user_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


ENV_NAMES = {"DEERDESK_BASE_URL": "base_url", "DEERDESK_DATA_DIR": "data_dir"}


def _read_toml(path: Path, problems: list[str]) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"The settings file {path} could not be read and was ignored ({exc}).")
        return {}
    return data


def load_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    system_paths: list[Path] | None = None,
    user_path: Path | None = None,
) -> Settings:
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    locked: set[str] = set()
    problems: list[str] = []

    def apply(layer: str, raw: Mapping[str, Any], where: str) -> None:
        for name, value in raw.items():
            if name in ("locked",):
                continue
            if name not in SETTING_NAMES:
                problems.append(f"{where}: unknown setting {name!r} ignored.")
                continue
            if name in locked and layer != "system":
                problems.append(f"{where}: {name} is locked by the administrator's policy.")
                continue
            try:
                values[name] = _convert(name, value)
                sources[name] = layer
            except (ValueError, TypeError) as exc:
                problems.append(f"{where}: {name} {exc}; the value was ignored.")

    for path in system_paths if system_paths is not None else system_config_paths():
        data = _read_toml(path, problems)
        apply("system", data, str(path))
        lock_list = data.get("locked", [])
        if isinstance(lock_list, list):
            locked.update(str(x) for x in lock_list if str(x) in SETTING_NAMES)
    apply("user", _read_toml(user_path or user_config_path(), problems), "user settings")
    apply(
        "env",
        {ENV_NAMES[k]: v for k, v in env.items() if k in ENV_NAMES and v},
        "environment",
    )
    apply("flag", {k: v for k, v in (flags or {}).items() if v is not None}, "command line")
    return Settings(**values, sources=sources, locked=frozenset(locked), problems=tuple(problems))


def save_user_settings(settings: Settings, changes: Mapping[str, Any], path: Path | None = None):
    """Writes the user layer (atomically) and returns the settings with the changes applied."""
    import tomli_w

    path = path or user_config_path()
    problems: list[str] = []
    current = _read_toml(path, problems)
    typed: dict[str, Any] = {}
    for name, value in changes.items():
        if name in settings.locked:
            raise ValueError(f"{name} is locked by the administrator's policy")
        typed[name] = _convert(name, value)
        current[name] = str(typed[name]) if isinstance(typed[name], Path) else typed[name]
        if isinstance(current[name], tuple):
            current[name] = list(current[name])
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(tomli_w.dumps(current), encoding="utf-8")
    os.replace(temp, path)
    sources = {**settings.sources, **dict.fromkeys(typed, "user")}
    return replace(settings, **typed, sources=sources)
