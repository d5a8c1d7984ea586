"""Lab simulation notifying followers, and the import and seed subcommands."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from mock_epj.store import Store
from mock_epj.terminology import CATEGORY_LAB_NOTIFICATION, COMMUNICATION_CATEGORY, FNR
from tests.support.mock_server import Server, entries, login


def test_followers_are_notified_of_simulated_results(server: Server) -> None:
    with login(server.url, "lege1") as lege1, login(server.url, "spl1") as spl1:
        patient = entries(lege1.get("Encounter", params={
            "location": "Location/ward-med", "status": "in-progress", "_count": 1}).json())[0]["subject"]
        pid = patient["reference"].split("/")[1]
        me = httpx.post(f"{server.url}/auth/token", json={"username": "lege1", "pin": "1234"}).json()
        created = lege1.post("Subscription", json={
            "resourceType": "Subscription", "status": "requested", "reason": "Følger prøvesvar",
            "criteria": f"Observation?patient=Patient/{pid}&category=laboratory",
            "channel": {"type": "message"}})
        assert created.status_code == 201
        before = lege1.get("Observation", params={"patient": pid, "category": "laboratory",
                                                  "_summary": "count"}).json()["total"]
        arrival = httpx.post(f"{server.url}/_admin/labs", json={"patient": pid})
        assert arrival.status_code == 200, arrival.text
        after = lege1.get("Observation", params={"patient": pid, "category": "laboratory",
                                                 "_summary": "count"}).json()["total"]
        assert after > before
        inbox = entries(lege1.get("Communication", params={
            "recipient": me["practitioner"],
            "category": f"{COMMUNICATION_CATEGORY}|{CATEGORY_LAB_NOTIFICATION}"}).json())
        assert len(inbox) == 1
        assert inbox[0]["subject"]["reference"] == f"Patient/{pid}"
        assert inbox[0]["payload"][0]["contentString"].startswith("Nye prøvesvar")
        # a colleague who does not follow the patient is not notified
        nurse = httpx.post(f"{server.url}/auth/token", json={"username": "spl1", "pin": "1234"}).json()
        assert spl1.get("Communication", params={
            "recipient": nurse["practitioner"],
            "category": f"{COMMUNICATION_CATEGORY}|{CATEGORY_LAB_NOTIFICATION}"}).json()["total"] == 0
        # unfollowing stops the notifications
        assert lege1.delete(f"Subscription/{created.json()['id']}").status_code == 204
        httpx.post(f"{server.url}/_admin/labs", json={"patient": pid})
        assert lege1.get("Communication", params={
            "recipient": me["practitioner"],
            "category": f"{COMMUNICATION_CATEGORY}|{CATEGORY_LAB_NOTIFICATION}"}).json()["total"] == 1


def test_lab_arrival_for_a_patient_without_a_stay_is_404(server: Server) -> None:
    response = httpx.post(f"{server.url}/_admin/labs", json={"patient": "no-such-patient"})
    assert response.status_code == 404


def _synthea_files(folder: Path) -> list[Path]:
    org_url = f"urn:uuid:{uuid.uuid4()}"
    hospital = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": org_url, "resource": {
            "resourceType": "Organization", "id": str(uuid.uuid4()), "name": "Synthea General",
            "identifier": [{"system": "https://github.com/synthetichealth/synthea", "value": "org-1"}]},
         "request": {"method": "POST", "url": "Organization"}}]}
    patient_url = f"urn:uuid:{uuid.uuid4()}"
    encounter_url = f"urn:uuid:{uuid.uuid4()}"
    patient: dict[str, Any] = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": patient_url, "resource": {
            "resourceType": "Patient", "id": patient_url.split(":")[-1],
            "identifier": [{"system": FNR, "value": "17916249871"}],
            "name": [{"family": "Importsen", "given": ["Åse"]}], "gender": "female",
            "birthDate": "1962-11-17"}, "request": {"method": "POST", "url": "Patient"}},
        {"fullUrl": encounter_url, "resource": {
            "resourceType": "Encounter", "id": encounter_url.split(":")[-1], "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "subject": {"reference": patient_url},
            "serviceProvider": {"reference": "Organization?identifier="
                                             "https://github.com/synthetichealth/synthea|org-1"}},
         "request": {"method": "POST", "url": "Encounter"}},
        {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": {
            "resourceType": "Claim", "status": "active"}, "request": {"method": "POST", "url": "Claim"}},
    ]}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Importsen_Ase.json").write_text(json.dumps(patient))
    (folder / "hospitalInformation1.json").write_text(json.dumps(hospital))
    (folder / "broken.json").write_text("{not json")
    return [folder / "Importsen_Ase.json", folder / "hospitalInformation1.json", folder / "broken.json"]


def test_import_loads_synthea_style_bundles(tmp_path: Path) -> None:
    db = tmp_path / "import.sqlite3"
    files = _synthea_files(tmp_path / "fhir")
    result = subprocess.run([sys.executable, "-m", "mock_epj", "import", "--db", str(db), *map(str, files)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr  # one file was unreadable
    assert "1 Claim" in result.stdout  # unsupported types are skipped and counted
    assert "cannot read" in result.stdout  # the broken file is reported, not a traceback
    assert "Traceback" not in result.stderr
    store = Store(db)
    encounter_rows = store.conn().execute("SELECT body FROM resources WHERE type='Encounter'").fetchall()
    assert len(encounter_rows) == 1
    encounter = json.loads(encounter_rows[0][0])
    patient_row = store.conn().execute("SELECT id FROM resources WHERE type='Patient'").fetchone()
    org_row = store.conn().execute("SELECT id FROM resources WHERE type='Organization'").fetchone()
    assert encounter["subject"]["reference"] == f"Patient/{patient_row[0]}"
    assert encounter["serviceProvider"]["reference"] == f"Organization/{org_row[0]}"


def test_seed_subcommand_builds_a_database_once(tmp_path: Path) -> None:
    db = tmp_path / "seeded.sqlite3"
    first = subprocess.run([sys.executable, "-m", "mock_epj", "seed", "--db", str(db), "--patients", "120"],
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "Seeded" in first.stdout
    second = subprocess.run([sys.executable, "-m", "mock_epj", "seed", "--db", str(db)],
                            capture_output=True, text=True, timeout=60)
    assert "already seeded" in second.stdout
    assert Store(db).count("Patient") == 120
