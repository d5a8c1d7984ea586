"""The usage log's settings, from the evaluation's configuration.

An evaluation configures the log with a TOML file (``usage.toml`` in the user config directory,
or the file named by ``VISITT_USAGE_CONFIG``) and/or environment variables, which win:

    TOML key        variable                  meaning
    enabled         VISITT_USAGE_ENABLED      log at all (true/false; default true)
    collector_url   VISITT_USAGE_COLLECTOR    the OTLP collector, e.g. http://127.0.0.1:8080; unset: files only
    key_file        VISITT_USAGE_KEY_FILE     a file holding the pseudonym key (at least 16 bytes)
    key             VISITT_USAGE_KEY          the key itself (prefer key_file)
    directory       VISITT_USAGE_DIR          where the files go (default: <user data dir>/usage)
    max_mb          VISITT_USAGE_MAX_MB       cap on the files on the device (default 20)
    batch_seconds   VISITT_USAGE_BATCH_SECONDS  how long records wait to fill a batch (default 30)

Without a key, records carry no user or patient pseudonym at all. Anyone who has the key can
tell whose a pseudonym is (practitioner and patient ids can be listed and hashed), so a file that
holds it (``key_file``, or the TOML file with ``key``) must be readable by its owner only: on POSIX
a file that others may read is refused with a message saying so (``chmod 600``).
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import platformdirs

from mobile_app.services.usage.records import MIN_KEY_BYTES


def default_directory() -> Path:
    return Path(platformdirs.user_data_dir("visitt", appauthor=False)) / "usage"


def app_version() -> str:
    try:
        return metadata.version("visitt")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def current_platform() -> str:
    """The platform code of the running Python (the app may pass Flet's page.platform instead)."""
    if hasattr(sys, "getandroidapilevel") or "ANDROID_ARGUMENT" in os.environ:
        return "android"
    if sys.platform == "ios":
        return "ios"
    if sys.platform == "emscripten":
        return "web"
    for prefix, code in (("linux", "linux"), ("darwin", "macos"), ("win", "windows")):
        if sys.platform.startswith(prefix):
            return code
    return "other"


@dataclass(frozen=True)
class UsageConfig:
    """Everything the UsageLog needs; the key is never shown in a repr."""

    directory: Path = field(default_factory=default_directory)
    collector_url: str | None = None
    key: bytes | None = field(default=None, repr=False)
    enabled: bool = True
    max_bytes: int = 20 * 1024 * 1024
    strict: bool = False  # True (tests): a refused event raises ValueError; False: dropped and counted
    app_version: str = field(default_factory=app_version)
    platform: str = field(default_factory=current_platform)
    write_interval_s: float = 1.0  # how often queued events go to the day file
    batch_interval_s: float = 30.0  # how long records wait to fill a batch for the collector
    batch_max_records: int = 200  # keeps a batch far below the collector's 1 MiB body limit
    max_queue: int = 100_000  # events waiting in memory; beyond this they are dropped and counted
    backoff_base_s: float = 1.0
    backoff_max_s: float = 300.0
    request_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.key is not None and len(self.key) < MIN_KEY_BYTES:
            raise ValueError(f"The usage pseudonym key must be at least {MIN_KEY_BYTES} bytes")
        if self.max_bytes <= 0 or self.batch_max_records <= 0 or self.max_queue <= 0:
            raise ValueError("max_bytes, batch_max_records and max_queue must be positive")

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, config_file: Path | None = None,
             **overrides: Any) -> UsageConfig:
        """The evaluation's configuration: the TOML file, then the environment, then ``overrides``."""
        env = os.environ if environ is None else environ
        path = config_file or Path(env.get("VISITT_USAGE_CONFIG") or
                                   Path(platformdirs.user_config_dir("visitt", appauthor=False)) / "usage.toml")
        settings: dict[str, Any] = {}
        env_keys: set[str] = set()  # settings the environment gave
        if path.is_file():
            with open(path, "rb") as handle:
                settings = tomllib.load(handle)
        for name, variable in (("enabled", "VISITT_USAGE_ENABLED"), ("collector_url", "VISITT_USAGE_COLLECTOR"),
                               ("key_file", "VISITT_USAGE_KEY_FILE"), ("key", "VISITT_USAGE_KEY"),
                               ("directory", "VISITT_USAGE_DIR"), ("max_mb", "VISITT_USAGE_MAX_MB"),
                               ("batch_seconds", "VISITT_USAGE_BATCH_SECONDS")):
            if env.get(variable):
                if name in ("key", "key_file"):  # a key from the environment replaces the file's
                    settings.pop("key", None)
                    settings.pop("key_file", None)
                settings[name] = env[variable]
                env_keys.add(name)
        config = cls()
        if "enabled" in settings:
            config = replace(config, enabled=_boolean(settings["enabled"]))
        if settings.get("collector_url"):
            config = replace(config, collector_url=str(settings["collector_url"]))
        if settings.get("directory"):
            config = replace(config, directory=Path(str(settings["directory"])).expanduser())
        if settings.get("max_mb"):
            config = replace(config, max_bytes=int(_number(settings["max_mb"], "max_mb") * 1024 * 1024))
        if settings.get("batch_seconds"):
            seconds = _number(settings["batch_seconds"], "batch_seconds")
            if not 0 < seconds <= 3600:
                raise ValueError("batch_seconds must be more than 0 and at most 3600")
            config = replace(config, batch_interval_s=seconds)
        key = settings.get("key")
        if key and "key" not in env_keys:
            _owner_only(path, "The usage configuration, which holds the pseudonym key,")
        if settings.get("key_file"):
            key_file = Path(str(settings["key_file"])).expanduser()
            _owner_only(key_file, "The pseudonym key file")
            key = key_file.read_bytes().strip()
        if key:
            config = replace(config, key=key if isinstance(key, bytes) else str(key).encode())
        return replace(config, **overrides) if overrides else config


def _owner_only(path: Path, what: str) -> None:
    """ValueError when other users may read ``path`` (POSIX; elsewhere the file's ACL decides)."""
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise ValueError(f"{what} {path} can be read by other users: make it private (chmod 600 {path})")


def _number(value: object, name: str) -> float:
    """A setting that must be a number; ValueError naming the setting otherwise."""
    try:
        return float(str(value))
    except ValueError:
        raise ValueError(f"{name} must be a number, not {value!r}") from None


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"enabled must be true or false, not {value!r}")
