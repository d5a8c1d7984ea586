"""Pseudonyms: HMAC-SHA256 under the evaluation's key; stable per key, none without a key, key never written."""

from __future__ import annotations

from pathlib import Path

import pytest

from mobile_app.services.usage import Pseudonymizer, UsageConfig
from tests.support.privacy import log_lines
from tests.support.usage_logs import KEY, MakeLog, day_records

OTHER_KEY = b"another-evaluation-key-42424242"


def _log_a_patient(make_log: MakeLog, directory: Path, key: bytes | None) -> dict[str, object]:
    usage = make_log(directory, key=key)
    usage.start_session("prac-001", "doctor", "ward-med")
    usage.event("patient_opened", via="scan", patient_id="pat-000001", duration_ms=300)
    assert usage.flush(2)
    return next(r for r in day_records(directory) if r["event"] == "patient_opened")


def test_the_same_key_gives_the_same_pseudonyms_on_every_phone(make_log: MakeLog, tmp_path: Path) -> None:
    first = _log_a_patient(make_log, tmp_path / "phone1", KEY)
    second = _log_a_patient(make_log, tmp_path / "phone2", KEY)
    assert first["user_pseudonym"] == second["user_pseudonym"]
    assert first["patient_pseudonym"] == second["patient_pseudonym"]
    assert first["install_id"] != second["install_id"]
    assert len(str(first["user_pseudonym"])) == 32


def test_another_key_gives_other_pseudonyms(make_log: MakeLog, tmp_path: Path) -> None:
    first = _log_a_patient(make_log, tmp_path / "a", KEY)
    second = _log_a_patient(make_log, tmp_path / "b", OTHER_KEY)
    assert first["user_pseudonym"] != second["user_pseudonym"]
    assert first["patient_pseudonym"] != second["patient_pseudonym"]


def test_without_a_key_there_are_no_user_or_patient_ids_at_all(make_log: MakeLog, tmp_path: Path) -> None:
    record = _log_a_patient(make_log, tmp_path / "nokey", None)
    assert "user_pseudonym" not in record and "patient_pseudonym" not in record
    assert record["role"] == "doctor" and record["session_id"]
    assert not any("pat-000001" in line or "prac-001" in line for line in log_lines(tmp_path / "nokey"))


def test_a_user_and_a_patient_with_the_same_id_get_different_pseudonyms() -> None:
    pseudonym = Pseudonymizer(KEY)
    assert pseudonym("user", "123") != pseudonym("patient", "123")
    assert pseudonym("patient", "123") == Pseudonymizer(KEY)("patient", "123")


def test_the_key_is_never_written_nor_shown(make_log: MakeLog, tmp_path: Path, collector_url: str) -> None:
    usage = make_log(tmp_path / "keyed", key=KEY, collector_url=collector_url)
    usage.start_session("prac-001", "nurse", "ward-med")
    usage.event("patient_opened", via="ward_list", patient_id="pat-000002")
    assert usage.flush(5)
    text = "\n".join(log_lines(tmp_path / "keyed"))
    assert KEY.decode() not in text and KEY.hex() not in text
    for shown in (repr(usage.config), str(usage.config), repr(Pseudonymizer(KEY)), repr(usage.stats())):
        assert KEY.decode() not in shown


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError):
        Pseudonymizer(b"short")
    with pytest.raises(ValueError):
        UsageConfig(key=b"short")
