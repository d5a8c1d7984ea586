"""The per-ward vocabulary file: what it accepts, and clear refusals of what it cannot use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from speech_service import vocabulary
from speech_service.vocabulary import DEFAULT_PROMPT, MAX_PROMPT_CHARS, VocabularyError


def test_the_default_prompt_holds_norwegian_clinical_terms_within_whispers_prompt_budget() -> None:
    assert len(DEFAULT_PROMPT) <= MAX_PROMPT_CHARS
    for term in ("dyspné", "CRP", "Pneumoni", "Fragmin", "epikrise"):
        assert term in DEFAULT_PROMPT
    assert vocabulary.Vocabulary().prompt_for("any ward") == (DEFAULT_PROMPT, "default")


def test_toml_and_json_files_give_the_same_wards(tmp_path: Path) -> None:
    toml_file = tmp_path / "v.toml"
    toml_file.write_text('default = "Notat."\n[wards.hjerte]\nterms = ["troponin", "NSTEMI"]\n'
                         '[wards.barn]\nprompt = "Barnet har otitt."\n')
    json_file = tmp_path / "v.json"
    json_file.write_text(json.dumps({"default": "Notat.", "wards": {
        "hjerte": {"terms": ["troponin", "NSTEMI"]}, "barn": {"prompt": "Barnet har otitt."}}}))
    for path in (toml_file, json_file):
        loaded = vocabulary.load(path)
        assert loaded.prompt_for("HJERTE") == ("Notat. troponin, NSTEMI.", "HJERTE")
        assert loaded.prompt_for("barn") == ("Barnet har otitt.", "barn")
        assert loaded.prompt_for(None) == ("Notat.", "default")
        assert loaded.ward_keys == ("hjerte", "barn")


@pytest.mark.parametrize(("data", "message"), [
    ({"wards": {"a": {"terms": []}}}, "needs `terms`"),
    ({"wards": {"a": {"terms": ["ok", 3]}}}, "needs `terms`"),
    ({"wards": {"a": {"prompt": "x" * (MAX_PROMPT_CHARS + 1)}}}, "shorten it"),
    ({"wards": {"a": {"terms": ["ord"] * 200}}}, "shorten it"),
    ({"wards": {"a": {"terms": ["x"], "colour": "red"}}}, "unknown setting"),
    ({"wardz": {}}, "unknown setting"),
    ({"default": ""}, "non-empty"),
    ({"wards": {"a": {"terms": ["x"]}, "b": {"name": "A", "terms": ["y"]}}}, "names two wards"),
    ([], "expected a table"),
])
def test_unusable_files_are_refused_naming_the_ward(data: Any, message: str) -> None:
    with pytest.raises(VocabularyError, match=message):
        vocabulary.parse(data, "v.toml")


def test_a_broken_or_missing_file_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "v.toml"
    broken.write_text("[wards.a\n")
    with pytest.raises(VocabularyError, match=r"v\.toml is not valid toml"):
        vocabulary.load(broken)
    with pytest.raises(VocabularyError, match="cannot be read"):
        vocabulary.load(tmp_path / "missing.toml")
