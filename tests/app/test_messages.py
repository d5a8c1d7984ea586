"""The message catalogue: every key in both languages, and every key the code uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mobile_app.domain.identifiers import RejectionReason
from mobile_app.domain.search_query import IncompleteReason, InvalidReason
from mobile_app.ui.messages import CATALOGUE, Messages

APP = Path(__file__).resolve().parents[2] / "mobile_app"


def test_every_entry_has_norwegian_and_english() -> None:
    for key, (nb, en) in CATALOGUE.items():
        assert isinstance(nb, str) and isinstance(en, str), key
        assert bool(nb) == bool(en), key
        assert set(re.findall(r"{(\w+)}", nb)) == set(re.findall(r"{(\w+)}", en)), key


def test_every_literal_key_used_in_the_app_exists() -> None:
    used: set[str] = set()
    for path in APP.rglob("*.py"):
        if path.name == "messages.py":
            continue
        text = path.read_text(encoding="utf-8")
        used.update(re.findall(r'\bt\("([a-z0-9_.\-]+)"', text))
        used.update(re.findall(r'Problem\("([a-z0-9_.\-]+)"', text))
    missing = sorted(k for k in used if k not in CATALOGUE)
    assert not missing, missing


@pytest.mark.parametrize("reason", list(RejectionReason))
def test_every_identifier_rejection_has_a_message(reason: RejectionReason) -> None:
    assert f"identifier.{reason}" in CATALOGUE


@pytest.mark.parametrize("reason", [*IncompleteReason, *InvalidReason])
def test_every_search_reason_has_a_message(reason: str) -> None:
    assert f"search.incomplete.{reason}" in CATALOGUE or f"search.invalid.{reason}" in CATALOGUE


def test_language_switch_and_unknown_language() -> None:
    assert Messages("nb")("nav.search") == "Søk"
    assert Messages("en")("nav.search") == "Search"
    assert Messages("en")("no.such.key") == "no.such.key"
    with pytest.raises(ValueError, match="Unsupported language"):
        Messages("sv")
