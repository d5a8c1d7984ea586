"""The seeded mock EPJ database the tests share: how it is made, copied, and read as stored."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

SEED = 42
PATIENTS = 300


def copy_db(source: Path, target: Path) -> Path:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


class SeedData:
    """The seeded hospital as stored, for comparing the client's answers with the truth."""

    def __init__(self, db: Path) -> None:
        self.db = db

    def of(self, resource_type: str) -> list[dict[str, Any]]:
        with sqlite3.connect(self.db) as conn:
            rows = conn.execute("SELECT body FROM resources WHERE type = ? AND deleted = 0",
                                (resource_type,)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any]:
        with sqlite3.connect(self.db) as conn:
            row = conn.execute("SELECT body FROM resources WHERE type = ? AND id = ?",
                               (resource_type, resource_id)).fetchone()
        assert row is not None, f"{resource_type}/{resource_id} is not in the seed"
        return dict(json.loads(row[0]))

    def of_patient(self, resource_type: str, patient_id: str) -> list[dict[str, Any]]:
        with sqlite3.connect(self.db) as conn:
            rows = conn.execute("SELECT body FROM resources WHERE type = ? AND patient = ? AND deleted = 0",
                                (resource_type, patient_id)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def stays_on(self, ward_id: str) -> list[dict[str, Any]]:
        return [e for e in self.of("Encounter") if e["status"] == "in-progress"
                and any(p["location"]["reference"] == f"Location/{ward_id}" for p in e["location"])]

    def username(self, practitioner_ref: str) -> str:
        practitioner = self.read("Practitioner", practitioner_ref.split("/")[-1])
        return str(next(i["value"] for i in practitioner["identifier"] if i["system"].endswith("username")))
