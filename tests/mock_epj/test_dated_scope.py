"""A search that names no patient but has a date range reads the user's patients' rows of that
range from the date index by patient (search._scope with a date criterion, issue 11): it must find
exactly what the search found without that index, follow every write, and fill itself in a
database made before it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_epj import search
from mock_epj.store import Store
from tests.support.database import copy_db
from tests.support.mock_server import Server, entries, inpatient, login

_MISMATCHED = ("SELECT COUNT(*) FROM idx_date d JOIN resources r ON r.rid = d.rid"
               " WHERE d.patient IS NOT r.patient")


def _day(days_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _searches() -> list[dict[str, Any]]:
    today = _day(0)[:10]
    return [
        {"category": "vital-signs", "date": f"ge{_day(1)}", "_sort": "-date"},
        {"category": "laboratory", "date": f"ge{_day(2)}", "_sort": "-date"},
        {"category": "laboratory", "date": f"gt{_day(30)}"},
        {"category": "vital-signs", "date": f"lt{_day(3)}", "_sort": "date"},
        {"date": f"le{_day(10)}"},
        {"date": today},
        {"date": f"ne{today}", "category": "vital-signs"},
        {"date": f"sa{_day(5)[:10]}"},
        {"date": f"eb{_day(5)[:10]}"},
        {"date": f"ap{_day(2)[:10]}"},
        {"date": f"ge{_day(1)},lt{_day(20)}"},  # either
        {"date": [f"ge{_day(20)}", f"le{_day(1)}"]},  # both
    ]


def _found(client: httpx.Client, params: dict[str, Any]) -> tuple[int, list[str]]:
    answer = client.get("Observation", params={**params, "_count": "100"})
    assert answer.status_code == 200, answer.text
    bundle = answer.json()
    return bundle["total"], [r["id"] for r in entries(bundle)]


def test_a_dated_search_naming_no_patient_finds_the_same_with_and_without_the_date_index(
        server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    users = {name: login(server.url, name) for name in ("lege1", "spl1", "lege2")}
    used: list[bool] = []
    scope = search._scope

    def watched(type_: str, access: Any, dated: Any = None) -> Any:
        used.append(dated is not None)
        return scope(type_, access, dated)

    monkeypatch.setattr(search, "_scope", watched)
    with_index = {(name, i): _found(client, params) for name, client in users.items()
                  for i, params in enumerate(_searches())}
    assert all(used), "every search was driven by the date index"
    assert sum(total > 0 for total, _ in with_index.values()) >= len(with_index) // 2, with_index
    monkeypatch.setattr(search, "_scope", lambda type_, access, dated=None: scope(type_, access))
    without = {(name, i): _found(client, params) for name, client in users.items()
               for i, params in enumerate(_searches())}
    assert with_index == without
    for client in users.values():
        client.close()


def test_the_date_index_follows_each_write_of_a_row(server: Server) -> None:
    client = login(server.url, "lege1")
    first = inpatient(client)
    stays = client.get("Encounter", params={"location": "Location/ward-med", "status": "in-progress",
                                            "_count": 50}).json()
    second = next(ref.split("/")[1] for e in entries(stays)
                  if (ref := e["subject"]["reference"]) != f"Patient/{first}")
    recent = {"category": "vital-signs", "date": f"ge{_day(-0.5)}"}  # from tomorrow on: this one only
    observation: dict[str, Any] = {
        "resourceType": "Observation", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": f"Patient/{first}"}, "effectiveDateTime": _day(-1),
        "valueQuantity": {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}}
    db = sqlite3.connect(server.epj.config.db)

    def step(expected: bool) -> None:
        assert db.execute(_MISMATCHED).fetchone()[0] == 0
        assert _found(client, recent)[1] == ([observation["id"]] if expected else [])

    created = client.post("Observation", json=observation)
    assert created.status_code == 201, created.text
    observation["id"] = created.json()["id"]
    step(True)
    observation["subject"] = {"reference": f"Patient/{second}"}  # entered on the wrong patient, moved
    assert client.put(f"Observation/{observation['id']}", json=observation).status_code == 200
    assert db.execute("SELECT DISTINCT d.patient FROM idx_date d JOIN resources r ON r.rid = d.rid"
                      " WHERE r.type = 'Observation' AND r.id = ?", (observation["id"],)).fetchall() == [(second,)]
    step(True)
    observation["effectiveDateTime"] = _day(3)
    assert client.put(f"Observation/{observation['id']}", json=observation).status_code == 200
    step(False)
    observation["effectiveDateTime"] = _day(-2)
    assert client.put(f"Observation/{observation['id']}", json=observation).status_code == 200
    step(True)
    assert client.delete(f"Observation/{observation['id']}").status_code in (200, 204)
    step(False)
    db.close()
    client.close()


def test_a_dated_search_naming_no_patient_gives_no_rows_of_a_patient_the_user_has_no_care_relation_to(
        server: Server) -> None:
    """The date index by patient only chooses which rows are looked at: a doctor of another ward
    (lege2) gets none of the vital signs of lege1's patient, and the search still answers with
    what that doctor may see."""
    owner = login(server.url, "lege1")
    patient = inpatient(owner)
    observation = {
        "resourceType": "Observation", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": f"Patient/{patient}"}, "effectiveDateTime": _day(-1),
        "valueQuantity": {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}}
    created = owner.post("Observation", json=observation)
    assert created.status_code == 201, created.text
    tomorrow = {"category": "vital-signs", "date": f"ge{_day(-0.5)}"}
    assert _found(owner, tomorrow)[1] == [created.json()["id"]]
    other = login(server.url, "lege2")
    answer = other.get("Observation", params={**tomorrow, "_count": "100"})
    assert answer.status_code == 200, answer.text
    assert entries(answer.json()) == []
    assert _found(other, {"category": "vital-signs", "date": f"ge{_day(1)}"})[0] > 0  # their own patients' rows
    other.close()
    owner.close()


def test_a_database_made_before_the_date_index_had_patients_gets_them_at_start(
        seeded_db: Path, tmp_path: Path) -> None:
    path = copy_db(seeded_db, tmp_path / "old.sqlite3")
    old = sqlite3.connect(path)
    with old:
        old.executescript("""
            DROP INDEX idx_date_patient;
            CREATE TABLE idx_date_old AS SELECT rid, type, param, lo, hi FROM idx_date;
            DROP TABLE idx_date;
            ALTER TABLE idx_date_old RENAME TO idx_date;
        """)
    rows = old.execute("SELECT COUNT(*) FROM idx_date").fetchone()[0]
    old.close()
    store = Store(path)
    conn = store.conn()
    assert conn.execute("SELECT COUNT(*) FROM idx_date").fetchone()[0] == rows
    assert conn.execute(_MISMATCHED).fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM idx_date WHERE patient IS NOT NULL").fetchone()[0] > rows // 2
    assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'idx_date_patient'").fetchone()
    store.close()
