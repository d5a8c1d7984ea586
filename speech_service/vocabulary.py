"""The initial prompt that steers Whisper toward Norwegian clinical words, per ward.

Whisper reads the prompt as text that came before the recording, so words in it are more likely
to be heard (and spelled) that way. The built-in prompt holds common Norwegian (bokmål) clinical
terms; a ward can add its own terms or replace the prompt, in a TOML or JSON file:

    default = "..."                      # optional: replaces the built-in prompt
    [wards.kir]                          # the key the app sends as ?ward=kir
    name = "Kirurgisk sengepost"         # optional: the ward's name is also accepted
    terms = ["laparoskopi", "anastomose", "dren"]
    # prompt = "..."                     # optional: this ward's whole prompt instead

Whisper uses at most 223 prompt tokens (about 600-900 characters of Norwegian); longer prompts
are refused when the file is read, so a ward's list is never cut silently.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_PROMPT_CHARS = 600

DEFAULT_PROMPT = (
    "Journalnotat fra visitt. Pasienten har feber, dyspné, takykardi og lavt blodtrykk. "
    "Respirasjonsfrekvens, oksygenmetning, puls, temperatur og NEWS-skår. "
    "CRP, hemoglobin, leukocytter, kreatinin, kalium, natrium og troponin. "
    "EKG, røntgen thorax, CT caput, ultralyd. Pneumoni, hjertesvikt, KOLS, atrieflimmer, sepsis, "
    "urinveisinfeksjon, hjerneslag. Intravenøs antibiotika, Paracet, Fragmin, Furix, morfin. "
    "Plan: mobilisering, tilsyn, epikrise, utskrivning."
)


class VocabularyError(ValueError):
    """The vocabulary file cannot be used; the message names the file and the ward."""


@dataclass(frozen=True)
class Vocabulary:
    default: str = DEFAULT_PROMPT
    wards: dict[str, str] = field(default_factory=dict)  # lower-cased key or name -> prompt
    ward_keys: tuple[str, ...] = ()

    def prompt_for(self, ward: str | None) -> tuple[str, str]:
        """(prompt, the vocabulary used: the ward's key or "default"); an unknown ward gets the default."""
        if ward:
            prompt = self.wards.get(ward.strip().lower())
            if prompt is not None:
                return prompt, ward.strip()
        return self.default, "default"


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise VocabularyError(f"{where} must be a non-empty text")
    text = " ".join(value.split())
    if len(text) > MAX_PROMPT_CHARS:
        raise VocabularyError(f"{where} is {len(text)} characters; Whisper reads at most about "
                              f"{MAX_PROMPT_CHARS}, so shorten it")
    return text


def parse(data: Any, source: str = "vocabulary") -> Vocabulary:
    if not isinstance(data, dict):
        raise VocabularyError(f"{source}: expected a table with `default` and/or `wards`")
    unknown = set(data) - {"default", "wards"}
    if unknown:
        raise VocabularyError(f"{source}: unknown setting(s) {', '.join(sorted(unknown))}")
    default = _text(data["default"], f"{source}: default") if "default" in data else DEFAULT_PROMPT
    wards_data = data.get("wards", {})
    if not isinstance(wards_data, dict):
        raise VocabularyError(f"{source}: `wards` must be a table of wards")
    wards: dict[str, str] = {}
    for key, ward in wards_data.items():
        where = f"{source}: ward {key!r}"
        if not isinstance(ward, dict):
            raise VocabularyError(f"{where} must be a table with `terms` or `prompt`")
        extra = set(ward) - {"name", "terms", "prompt"}
        if extra:
            raise VocabularyError(f"{where}: unknown setting(s) {', '.join(sorted(extra))}")
        if "prompt" in ward:
            prompt = _text(ward["prompt"], f"{where} prompt")
        else:
            terms = ward.get("terms")
            if not isinstance(terms, list) or not terms or not all(isinstance(t, str) and t.strip() for t in terms):
                raise VocabularyError(f"{where} needs `terms` (a list of words) or `prompt`")
            prompt = _text(f"{default} {', '.join(t.strip() for t in terms)}.", f"{where} (default prompt + terms)")
        names = [str(key)] + ([ward["name"]] if isinstance(ward.get("name"), str) else [])
        for name in names:
            if name.strip().lower() in wards:
                raise VocabularyError(f"{where}: {name!r} names two wards")
            wards[name.strip().lower()] = prompt
    return Vocabulary(default, wards, tuple(str(k) for k in wards_data))


def load(path: Path) -> Vocabulary:
    """Read a .toml or .json vocabulary file; raises VocabularyError with a clear message."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise VocabularyError(f"The vocabulary file {path} cannot be read: {error.strerror or error}") from error
    try:
        data = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise VocabularyError(f"The vocabulary file {path} is not valid {path.suffix.lstrip('.') or 'TOML'}: "
                              f"{error}") from error
    return parse(data, str(path))
