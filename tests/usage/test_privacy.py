"""No identity leaves the phone: every way of slipping one into an event is refused, and a scan of
every log line and every collected record finds no seeded name, person number, GSRN or raw id."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mobile_app.services.usage import EVENTS
from mobile_app.services.usage.log import UsageLog
from tests.support.mock_server import Server
from tests.support.privacy import assert_no_identities, identities, log_lines
from tests.support.usage_logs import KEY, MakeLog, collected

TYPED = "pasienten er urolig i natt"  # text a user might type


@pytest.fixture(scope="module")
def forbidden(seeded_db: Path) -> list[str]:
    return [*identities(seeded_db), TYPED, KEY.decode()]


def _seeded_people(db: Path) -> tuple[list[str], list[str]]:
    connection = sqlite3.connect(db)
    try:
        patients = [row[0] for row in connection.execute("SELECT id FROM resources WHERE type='Patient' LIMIT 40")]
        staff = [row[0] for row in connection.execute("SELECT id FROM resources WHERE type='Practitioner' LIMIT 5")]
    finally:
        connection.close()
    return patients, staff


def _try_to_leak(usage: UsageLog, leaks: list[object]) -> int:
    """Offer every leak as every attribute, outcome and ward of every event; count what got through."""
    through = 0
    for spec in EVENTS.values():
        for value in leaks:
            attempts = [{spec_attr: value} for spec_attr in spec.attributes] + [{"free_text": value}]
            for attributes in attempts:
                try:
                    usage.event(spec.name, **attributes)  # type: ignore[arg-type]
                    through += usage.config.strict
                except ValueError:
                    pass
            try:
                usage.event(spec.name, outcome=value)  # type: ignore[arg-type]
                through += usage.config.strict
            except ValueError:
                pass
    for value in leaks:
        try:
            usage.start_session("prac-001", "doctor", ward=value)  # type: ignore[arg-type]
            through += usage.config.strict
        except ValueError:
            pass
    return through


def test_the_helper_finds_a_name_a_number_and_a_gsrn() -> None:
    forbidden = ["Elin Strand", "Strand", "Elin", "07816534679", "708000000000000012"]
    assert assert_no_identities(['{"event":"scan","ward":"ward-med"}', "instrumentation"], forbidden) == 2
    for line in ('{"attrs":{"kind":"elin"}}', "x07816534679x", '"gsrn":708000000000000012', "STRAND",
                 '"bytes":3254340.5', "Practitioner/3254340"):
        with pytest.raises(AssertionError):
            assert_no_identities([line], [*forbidden, "3254340"])
    # a 7-digit HPR number inside a nanosecond timestamp or a random hex id is chance, not the number
    chance = ['{"timeUnixNano":"1796316325434000000"}', '{"session_id":"e919dab3254340ff"}']
    assert assert_no_identities(chance, [*forbidden, "3254340"]) == 2


def test_identities_come_from_the_seeded_database(forbidden: list[str]) -> None:
    assert len([f for f in forbidden if f.isdigit() and len(f) == 11]) >= 300  # person numbers
    assert len([f for f in forbidden if f.isdigit() and len(f) == 18]) >= 300  # GSRNs
    assert any(" " in f for f in forbidden)  # full names


def test_no_identity_reaches_the_files_or_the_collector(make_log: MakeLog, collector: Server, seeded_db: Path,
                                                        forbidden: list[str], tmp_path: Path) -> None:
    patients, staff = _seeded_people(seeded_db)
    people = [f for f in forbidden if not f.startswith(("pat-", "prac-"))]
    leaks: list[object] = [*people[:60], TYPED, *patients[:5], *staff[:2]]
    leaks += [int(f) for f in forbidden if f.isdigit()][:20]

    strict = make_log(tmp_path / "strict", key=KEY, collector_url=collector.url)
    assert _try_to_leak(strict, leaks) == 0
    production = make_log(tmp_path / "phone", key=KEY, collector_url=collector.url, strict=False)
    _try_to_leak(production, leaks)
    assert sum(production.stats().refused.values()) > 1000

    # A day's real use, with real ids from the record: they must come out as pseudonyms only.
    for user in staff:
        production.start_session(user, "doctor", "ward-med")
        production.event("login", outcome="success", duration_ms=300)
        for patient in patients:
            production.event("search", kind="name", result_count=1, duration_ms=200, outcome="success")
            production.event("patient_opened", via="search", patient_id=patient, duration_ms=350, outcome="success")
            production.event("note_created", delivery="direct", note_type="journal_note", patient_id=patient)
            production.event("break_glass_used", patient_id=patient)
        production.end_session("logout")
    assert production.flush(20) and strict.flush(20)

    lines = log_lines(tmp_path / "strict", tmp_path / "phone")
    exported = [str(record) for record in collected(collector)]
    assert len(exported) > 5 * 40 * 4
    assert assert_no_identities(lines + exported, forbidden) == len(lines) + len(exported)
