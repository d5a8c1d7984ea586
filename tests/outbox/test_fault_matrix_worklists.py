"""The fault matrix for the work lists' writes against the real mock EPJ: whatever the network does,
"Registrer som møtt" sets an appointment to arrived exactly once (and an undo puts it back once, or
never sends anything when the arrival had not left the phone), and a task's status change is made
once; a change someone else made first fails with a conflict naming them, or "someone else"."""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mobile_app.domain.worklists import ArrivalDraft, TaskStatusDraft
from mobile_app.services.outbox_items import ItemState, Reason
from mobile_app.services.outbox_store import EncryptedOutboxStore
from tests.support.memory_keyring import MemoryKeyring
from tests.support.outboxes import delivered, outbox_for
from tests.support.restartable_epj import RestartableEpj


def versions(epj: RestartableEpj, resource_type: str, resource_id: str) -> list[dict[str, Any]]:
    """Every version the EPJ stored of a resource, oldest first."""
    with sqlite3.connect(epj.db) as conn:  # the history holds the versions before the current one
        rows = conn.execute("SELECT version, body FROM history WHERE type = ? AND id = ? UNION"
                            " SELECT version, body FROM resources WHERE type = ? AND id = ? ORDER BY 1",
                            (resource_type, resource_id, resource_type, resource_id)).fetchall()
    return [json.loads(body) for (_, body) in rows]


def arrivals(epj: RestartableEpj, appointment_id: str) -> int:
    """How many times the appointment went to arrived."""
    statuses = [v["status"] for v in versions(epj, "Appointment", appointment_id)]
    return sum(1 for before, after in itertools.pairwise(statuses)
               if before != "arrived" and after == "arrived")


def visits(epj: RestartableEpj, appointment_id: str) -> list[dict[str, Any]]:
    """The outpatient visits the mock started for the appointment."""
    return [e for e in epj.rows("Encounter")
            if any(a.get("reference") == f"Appointment/{appointment_id}" for a in e.get("appointment", []))]


def booked_for(epj: RestartableEpj, practitioner_id: str) -> dict[str, Any]:
    """A booked appointment of the practitioner within the days their care relation covers."""
    now = datetime.now(UTC)
    found = [a for a in epj.rows("Appointment") if a["status"] == "booked"
             and any(p["actor"]["reference"] == f"Practitioner/{practitioner_id}" for p in a["participant"])
             and now - timedelta(hours=12) < datetime.fromisoformat(a["start"]) < now + timedelta(days=6)]
    return sorted(found, key=lambda a: a["id"])[0]


def arrival(author: str, appointment: dict[str, Any], arrived: bool = True) -> ArrivalDraft:
    patient = next(p["actor"]["reference"].split("/")[1] for p in appointment["participant"]
                   if p["actor"]["reference"].startswith("Patient/"))
    return ArrivalDraft(appointment_id=appointment["id"], version="1", arrived=arrived, patient_id=patient,
                        author_id=author)


def open_task_of(epj: RestartableEpj, practitioner_id: str) -> dict[str, Any]:
    found = [t for t in epj.rows("Task") if t.get("owner", {}).get("reference") == f"Practitioner/{practitioner_id}"
             and t["status"] in ("requested", "received", "accepted")]
    return sorted(found, key=lambda t: t["id"])[0]


def task_change(author: str, task: dict[str, Any], status: str = "completed", version: str = "1") -> TaskStatusDraft:
    return TaskStatusDraft(task_id=task["id"], version=version, status=status,
                           patient_id=task["for"]["reference"].split("/")[1], author_id=author)


async def test_an_arrival_whose_answer_was_lost_is_made_once(epj: RestartableEpj) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    appointment = booked_for(epj, me.practitioner_id)
    epj.faults(drop_next=1, drop_after_processing=True, methods=["PUT"])
    item = await outbox.submit(arrival(me.practitioner_id, appointment))
    assert item.state is ItemState.WAITING and item.possibly_delivered
    assert arrivals(epj, appointment["id"]) == 1  # stored, though the answer was lost
    outbox.retry_now()
    await outbox.run_due()
    sent = outbox.get(item.id)
    assert sent.state is ItemState.SENT, sent.last_error
    stored = delivered(sent).appointment
    assert stored is not None and stored.status == "arrived"
    assert arrivals(epj, appointment["id"]) == 1
    assert len(versions(epj, "Appointment", appointment["id"])) == 2  # the retry wrote nothing
    assert [v["status"] for v in visits(epj, appointment["id"])] == ["arrived"]  # the mock's visit, once


async def test_an_arrival_offline_waits_and_is_made_once_when_the_server_is_back(epj: RestartableEpj) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    appointment = booked_for(epj, me.practitioner_id)
    epj.stop()
    item = await outbox.submit(arrival(me.practitioner_id, appointment))
    assert item.state is ItemState.WAITING and item.last_error is not None
    assert item.last_error.reason is Reason.OFFLINE
    epj.restart()
    outbox.retry_now()
    assert await outbox.run_due() == 1
    assert outbox.get(item.id).state is ItemState.SENT
    assert arrivals(epj, appointment["id"]) == 1


async def test_503_then_success_is_retried_by_the_loop(epj: RestartableEpj) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    appointment = booked_for(epj, me.practitioner_id)
    epj.faults(error_next=1, methods=["PUT"])
    outbox.start()
    try:
        item = await outbox.submit(arrival(me.practitioner_id, appointment))
        assert item.state is ItemState.WAITING and item.last_error is not None and item.last_error.status == 503
        for _ in range(150):
            if outbox.get(item.id).state is ItemState.SENT:
                break
            await asyncio.sleep(0.02)
    finally:
        await outbox.stop()
    assert outbox.get(item.id).state is ItemState.SENT
    assert arrivals(epj, appointment["id"]) == 1


async def test_an_undo_while_the_arrival_waits_replaces_it_and_nothing_changes(epj: RestartableEpj) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    appointment = booked_for(epj, me.practitioner_id)
    epj.stop()
    await outbox.submit(arrival(me.practitioner_id, appointment))
    await outbox.submit(arrival(me.practitioner_id, appointment, arrived=False))
    assert len(outbox.items) == 1  # one unsent write per appointment
    epj.restart()
    outbox.retry_now()
    await outbox.run_due()
    assert outbox.items[0].state is ItemState.SENT
    assert arrivals(epj, appointment["id"]) == 0
    assert len(versions(epj, "Appointment", appointment["id"])) == 1  # never written
    assert visits(epj, appointment["id"]) == []


async def test_an_undo_after_the_arrival_was_sent_puts_it_back_once(epj: RestartableEpj) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    appointment = booked_for(epj, me.practitioner_id)
    first = await outbox.submit(arrival(me.practitioner_id, appointment))
    assert first.state is ItemState.SENT
    undo = await outbox.submit(arrival(me.practitioner_id, appointment, arrived=False))
    assert undo.state is ItemState.SENT, undo.last_error
    statuses = [v["status"] for v in versions(epj, "Appointment", appointment["id"])]
    assert statuses == ["booked", "arrived", "booked"]


async def test_an_arrival_waiting_when_the_app_was_killed_is_made_once(epj: RestartableEpj, tmp_path: Path,
                                                                      memory_keyring: MemoryKeyring) -> None:
    client, me = await epj.login("lege1")
    first = outbox_for(client, me.practitioner_id, EncryptedOutboxStore(tmp_path / "outbox"))
    appointment = booked_for(epj, me.practitioner_id)
    epj.stop()
    item = await first.submit(arrival(me.practitioner_id, appointment))
    assert item.state is ItemState.WAITING
    del first
    epj.restart()
    again = outbox_for(client, me.practitioner_id, EncryptedOutboxStore(tmp_path / "outbox"))
    again.retry_now()
    assert await again.run_due() == 1
    assert again.get(item.id).state is ItemState.SENT
    assert arrivals(epj, appointment["id"]) == 1


async def test_a_health_worker_may_not_register_arrival(epj: RestartableEpj) -> None:
    client, me = await epj.login("hfa1")
    outbox = outbox_for(client, me.practitioner_id)
    lege1 = (await epj.login("lege1"))[1]
    appointment = booked_for(epj, lege1.practitioner_id)
    item = await outbox.submit(arrival(me.practitioner_id, appointment))
    assert item.state is ItemState.FAILED and item.last_error is not None
    assert item.last_error.reason is Reason.ACCESS_DENIED
    assert arrivals(epj, appointment["id"]) == 0


# ------------------------------------------------------------------ tasks


async def test_a_task_change_whose_answer_was_lost_is_made_once(epj: RestartableEpj) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    task = open_task_of(epj, me.practitioner_id)
    epj.faults(drop_next=1, drop_after_processing=True, methods=["PUT"])
    item = await outbox.submit(task_change(me.practitioner_id, task))
    assert item.state is ItemState.WAITING and item.possibly_delivered
    outbox.retry_now()
    await outbox.run_due()
    sent = outbox.get(item.id)
    assert sent.state is ItemState.SENT, sent.last_error
    changed = delivered(sent).task
    assert changed is not None and changed.status == "completed"
    assert [v["status"] for v in versions(epj, "Task", task["id"])] == [task["status"], "completed"]


async def test_a_task_changed_first_by_a_colleague_is_a_conflict_saying_when(epj: RestartableEpj) -> None:
    """Who changed it comes from standard data only (a Provenance of that version; issue 14): a
    Task change has none, so the conflict says "someone else", with the time from meta.lastUpdated."""
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    task = open_task_of(epj, me.practitioner_id)
    nurse_client, nurse = await epj.login("spl1")
    nurse_box = outbox_for(nurse_client, nurse.practitioner_id)
    first = await nurse_box.submit(task_change(nurse.practitioner_id, task, "in-progress"))
    assert first.state is ItemState.SENT, first.last_error
    item = await outbox.submit(task_change(me.practitioner_id, task))
    assert item.state is ItemState.FAILED and item.last_error is not None
    assert item.last_error.reason is Reason.CONFLICT
    assert item.last_error.changed_by is None and item.last_error.changed_at is not None
    assert [v["status"] for v in versions(epj, "Task", task["id"])] == [task["status"], "in-progress"]


async def test_a_conflict_whose_author_the_epj_does_not_name_says_someone_else(epj: RestartableEpj) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    task = open_task_of(epj, me.practitioner_id)  # as seeded: no one is named as its last writer
    item = await outbox.submit(task_change(me.practitioner_id, task, version="0"))  # an older version was seen
    assert item.state is ItemState.FAILED and item.last_error is not None
    assert item.last_error.reason is Reason.CONFLICT and item.last_error.changed_by is None
    assert len(versions(epj, "Task", task["id"])) == 1
