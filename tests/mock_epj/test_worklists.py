"""The mock EPJ's tasks, appointment books and arrivals: what is seeded, who may change what, and
what a colleague's or a clinic's book shows (docs/worklists.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from mock_epj.terminology import SUBSETTED_TAG, USERNAME
from tests.support.mock_server import entries, outcome_text

OPEN = "requested,received,accepted,in-progress"


def _who(client: httpx.Client, username: str) -> str:
    bundle = client.get("Practitioner", params={"identifier": f"{USERNAME}|{username}"}).json()
    return f"Practitioner/{entries(bundle)[0]['id']}"


def _my_open_tasks(client: httpx.Client, username: str) -> list[dict[str, Any]]:
    bundle = client.get("Task", params={"owner": _who(client, username), "status": OPEN, "_count": 100}).json()
    return entries(bundle, "match")


def _put(client: httpx.Client, resource: dict[str, Any], version: str | None = None) -> httpx.Response:
    version = version or resource["meta"]["versionId"]
    return client.put(f"{resource['resourceType']}/{resource['id']}", json=resource,
                      headers={"If-Match": f'W/"{version}"'})


def _window() -> tuple[str, str]:
    now = datetime.now(UTC)
    return ((now - timedelta(hours=12)).isoformat(timespec="seconds"),
            (now + timedelta(days=6)).isoformat(timespec="seconds"))


def _booked(client: httpx.Client, username: str) -> dict[str, Any]:
    """A booked appointment of the user within the days their care relation covers."""
    start, end = _window()
    bundle = client.get("Appointment", params=[("practitioner", _who(client, username)), ("status", "booked"),
                                               ("date", f"ge{start}"), ("date", f"le{end}"), ("_sort", "date"),
                                               ("_count", 50)]).json()
    found = entries(bundle, "match")
    assert found, f"{username} has no booked appointment this week"
    return found[0]


# ------------------------------------------------------------------ seed


def test_every_doctor_and_clinic_has_a_book_with_weeks_of_appointments(client_for: Any) -> None:
    lege1 = client_for("lege1")
    clinics = entries(lege1.get("Location", params={"type": "OF", "_count": 50}).json())
    assert {c["name"] for c in clinics} >= {"Medisinsk poliklinikk", "Barnepoliklinikk"}
    schedules = entries(lege1.get("Schedule", params={"actor": "Location/clinic-med"}).json())
    assert [s["id"] for s in schedules if len(s["actor"]) == 1] == ["schedule-clinic-med"]  # and its doctors'
    assert len(schedules) >= 4
    doctors = entries(lege1.get("Schedule", params={"actor": _who(lege1, "lege2")}).json())
    assert doctors and doctors[0]["actor"][1]["reference"] == "Location/clinic-kir"
    now = datetime.now(UTC)
    later = entries(lege1.get("Appointment", params=[
        ("location", "Location/clinic-med"), ("date", f"ge{(now + timedelta(days=8)).date().isoformat()}"),
        ("_count", 200)]).json())
    assert len(later) >= 10  # two weeks further on
    assert {p["actor"]["reference"].split("/")[0] for a in later for p in a["participant"]} == {
        "Patient", "Practitioner", "Location"}


def test_lege1_spl1_and_hfa1_have_open_tasks_some_overdue(client_for: Any) -> None:
    now = datetime.now(UTC)
    for username in ("lege1", "spl1", "hfa1"):
        client = client_for(username)
        tasks = _my_open_tasks(client, username)
        assert len(tasks) >= 4, username
        due = [datetime.fromisoformat(t["restriction"]["period"]["end"]) for t in tasks]
        assert any(d < now for d in due) and any(d > now for d in due), username
        assert {t["status"] for t in tasks} >= {"requested", "in-progress"}


# ------------------------------------------------------------------ tasks


def test_the_owner_moves_a_task_along_and_a_finished_task_stays_finished(clients: dict[str, httpx.Client]) -> None:
    lege1 = clients["lege1"]
    task = next(t for t in _my_open_tasks(lege1, "lege1") if t["status"] in ("requested", "received"))
    accepted = _put(lege1, {**task, "status": "accepted"})
    assert accepted.status_code == 200, accepted.text
    done = _put(lege1, {**accepted.json(), "status": "completed"})
    assert done.status_code == 200, done.text
    stored = done.json()
    assert stored["requester"] == task["requester"]  # the one who asked stays
    assert stored["meta"]["extension"][0]["valueReference"]["reference"] == _who(lege1, "lege1")
    reopened = _put(lege1, {**stored, "status": "in-progress"})
    assert reopened.status_code == 422
    assert "finished" in outcome_text(reopened)


def test_a_stale_version_is_a_conflict_naming_who_changed_it(clients: dict[str, httpx.Client]) -> None:
    lege1, spl1 = clients["lege1"], clients["spl1"]
    task = _my_open_tasks(lege1, "lege1")[0]
    first = _put(spl1, {**task, "status": "in-progress"} if task["status"] != "in-progress"
                 else {**task, "status": "completed"})
    assert first.status_code == 200, first.text
    late = _put(lege1, {**task, "status": "completed"} if task["status"] != "completed" else task)
    assert late.status_code == 412
    assert "Ingrid Solheim" in outcome_text(late)


def test_a_health_worker_changes_only_the_status_of_her_own_tasks(clients: dict[str, httpx.Client]) -> None:
    hfa1 = clients["hfa1"]
    own = _my_open_tasks(hfa1, "hfa1")[0]
    assert _put(hfa1, {**own, "description": "Noe annet"}).status_code == 403
    started = _put(hfa1, {**own, "status": "completed"})
    assert started.status_code == 200, started.text
    others = _my_open_tasks(clients["spl1"], "spl1")[0]
    refused = _put(hfa1, {**others, "status": "completed"})
    assert refused.status_code == 403


def test_an_auditor_changes_no_task(clients: dict[str, httpx.Client]) -> None:
    task = _my_open_tasks(clients["lege1"], "lege1")[0]
    assert _put(clients["revisor"], {**task, "status": "completed"}).status_code == 403


# ------------------------------------------------------------------ arrival


def test_a_doctor_registers_arrival_and_undoes_it(clients: dict[str, httpx.Client]) -> None:
    lege1 = clients["lege1"]
    appointment = _booked(lege1, "lege1")
    arrived = _put(lege1, {**appointment, "status": "arrived"})
    assert arrived.status_code == 200, arrived.text
    undone = _put(lege1, {**arrived.json(), "status": "booked"})
    assert undone.status_code == 200, undone.text
    assert _put(lege1, {**undone.json(), "status": "fulfilled"}).status_code == 422
    moved = {**undone.json(), "start": "2030-01-01T08:00:00+01:00"}
    assert _put(lege1, moved).status_code == 422


def test_arrival_starts_the_visit_and_an_undo_takes_it_back(clients: dict[str, httpx.Client]) -> None:
    """The mock's extra (the app does not rely on it): one outpatient Encounter per appointment."""
    lege1 = clients["lege1"]
    appointment = _booked(lege1, "lege1")
    arrived = _put(lege1, {**appointment, "status": "arrived"}).json()
    visits = entries(lege1.get("Encounter", params={"patient": _patient(appointment), "class": "AMB",
                                                     "status": "arrived"}).json())
    (visit,) = [v for v in visits if v["appointment"][0]["reference"] == f"Appointment/{appointment['id']}"]
    assert visit["participant"][0]["individual"]["reference"] == _who(lege1, "lege1")
    undone = _put(lege1, {**arrived, "status": "booked"}).json()
    assert lege1.get(f"Encounter/{visit['id']}").json()["status"] == "entered-in-error"
    _put(lege1, {**undone, "status": "arrived"})
    again = lege1.get(f"Encounter/{visit['id']}").json()
    assert again["status"] == "arrived" and again["meta"]["versionId"] == "3"


def _patient(appointment: dict[str, Any]) -> str:
    return str(next(p["actor"]["reference"] for p in appointment["participant"]
                    if p["actor"]["reference"].startswith("Patient/")))


def test_appointments_are_not_made_or_deleted_through_the_api(clients: dict[str, httpx.Client]) -> None:
    lege1 = clients["lege1"]
    appointment = _booked(lege1, "lege1")
    copy = {k: v for k, v in appointment.items() if k not in ("id", "meta")}
    made = lege1.post("Appointment", json=copy)
    assert made.status_code == 403  # (it would also have given a care relation to its patient)
    assert lege1.delete(f"Appointment/{appointment['id']}").status_code == 403


def test_health_workers_and_auditors_do_not_register_arrival(clients: dict[str, httpx.Client]) -> None:
    appointment = _booked(clients["lege1"], "lege1")
    for username in ("hfa1", "revisor"):
        response = _put(clients[username], {**appointment, "status": "arrived"})
        assert response.status_code == 403, username


# ------------------------------------------------------------------ a colleague's book


def test_a_colleagues_book_shows_when_and_whom_but_not_why(clients: dict[str, httpx.Client]) -> None:
    lege2 = clients["lege2"]
    start, end = _window()
    bundle = lege2.get("Appointment", params=[("practitioner", _who(lege2, "lege1")), ("date", f"ge{start}"),
                                              ("date", f"le{end}"), ("_include", "Appointment:patient"),
                                              ("_count", 100)]).json()
    rows = entries(bundle, "match")
    subsetted = [r for r in rows if SUBSETTED_TAG["code"] in [t["code"] for t in r["meta"].get("tag", [])]]
    assert subsetted  # most of lege1's patients are not lege2's
    for row in subsetted:
        assert "description" not in row
        assert row["start"] and row["participant"] and row["status"]
    patients = {p["actor"]["reference"] for r in rows for p in r["participant"]
                if p["actor"]["reference"].startswith("Patient/")}
    included = {f"Patient/{p['id']}" for p in entries(bundle, "include")}
    assert patients <= included  # names, as a patient search shows them
    own = lege2.get("Appointment", params={"practitioner": _who(lege2, "lege2"), "_count": 5}).json()
    assert all("description" in r for r in entries(own, "match"))


def test_a_patients_appointments_need_a_care_relation(clients: dict[str, httpx.Client]) -> None:
    lege1, lege2 = clients["lege1"], clients["lege2"]
    start, end = _window()
    bundle = lege1.get("Appointment", params=[("practitioner", _who(lege1, "lege1")), ("date", f"ge{start}"),
                                              ("date", f"le{end}"), ("_count", 50)]).json()
    refused = 0
    for appointment in entries(bundle, "match"):
        patient = next(p["actor"]["reference"] for p in appointment["participant"]
                       if p["actor"]["reference"].startswith("Patient/"))
        assert lege1.get("Appointment", params={"patient": patient}).status_code == 200
        if lege2.get("Appointment", params={"patient": patient}).status_code == 403:
            refused += 1
            assert "description" not in lege2.get(f"Appointment/{appointment['id']}").json()
    assert refused
