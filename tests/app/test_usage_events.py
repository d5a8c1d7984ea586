"""The app's usage events: each action of the screens' states logs its event, with the attributes
the registry allows (the log runs in strict mode, so a wrong attribute fails the test), and never
a name, a number read or typed text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mobile_app.epj.errors import Offline, SessionExpired
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_store import MemoryOutboxStore
from mobile_app.services.session import Session
from mobile_app.services.usage import SusSchedule, UsageConfig, UsageLog
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import AppContext
from mobile_app.ui.viewmodels.navigator import Tab
from tests.support.app_sessions import SESSION_PIN, sign_in
from tests.support.fake_epj import FakeClient
from tests.support.wristband_scans import GS1_DATAMATRIX

KEY = b"k" * 32


@pytest.fixture
def usage(tmp_path: Path) -> Iterator[UsageLog]:
    log = UsageLog(UsageConfig(directory=tmp_path / "usage", key=KEY, strict=True, write_interval_s=0.05))
    yield log
    log.close()


@pytest.fixture
def app(client: FakeClient, session: Session, usage: UsageLog) -> AppState:
    outbox = Outbox.for_client(client, MemoryOutboxStore())
    return AppState(AppContext(client=client, session=session, outbox=outbox, usage=usage))


def records(usage: UsageLog) -> list[dict[str, Any]]:
    assert usage.flush(5.0)
    return [json.loads(line) for path in sorted(usage.config.directory.glob("usage-*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def attrs(record: dict[str, Any]) -> dict[str, Any]:
    return dict(record.get("attrs") or {})


def named(found: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [r for r in found if r["event"] == event]


async def log_in(app: AppState) -> None:
    await sign_in(app, "lege1")


async def test_login_failure_then_success_starts_a_session_with_role_and_ward(app: AppState, usage: UsageLog,
                                                                               client: FakeClient) -> None:
    client.page_refusal = "access_denied"  # cancelled in the EPJ's login page
    await log_in(app)
    client.page_refusal = None
    client.fail = Offline("no network")
    await log_in(app)
    client.page_refusal = "invalid_scope"
    await log_in(app)
    client.page_refusal = None
    await log_in(app)
    found = records(usage)
    logins = named(found, "login")
    assert [(r["outcome"], attrs(r).get("reason")) for r in logins] == [
        ("failure", "cancelled"), ("failure", "offline"), ("failure", "refused"), ("success", None)]
    success = logins[-1]
    assert success["role"] == "doctor" and success["ward"] == "ward-med"
    assert success["session_id"] and len(success["user_pseudonym"]) == 32
    assert "session_id" not in logins[0]  # a failed login belongs to no session
    home = named(found, "screen_shown")[-1]
    assert attrs(home) == {"screen": "my_patients", "cached": False}


async def test_search_scan_open_labs_trend_and_sign(app: AppState, usage: UsageLog) -> None:
    await log_in(app)
    app.nav.select_tab(Tab.SEARCH)
    app.search.change("Hansen")
    await app.search.search_now()
    await app.scans.scanned(GS1_DATAMATRIX, "scanner")  # opens the scanned patient
    patient = await app.open_patient("p1", opened_from="ward")
    assert patient.labs is not None
    patient.open_tab("lab")
    await patient.labs.opened()
    result = patient.labs.result("k-1")
    assert result is not None
    app.open_trend(patient, result)
    patient.labs.toggle("k-1")
    assert await patient.labs.sign()
    found = records(usage)
    search = named(found, "search")[-1]
    assert search["outcome"] == "success" and attrs(search) == {"kind": "name", "result_count": 1}
    assert search["duration_ms"] >= 0
    scan = named(found, "scan")[-1]
    assert scan["outcome"] == "success"
    assert attrs(scan) == {"source": "scanner", "identifier": "gsrn", "code": "datamatrix"}
    opened = named(found, "patient_opened")
    assert [(r["outcome"], attrs(r)["via"]) for r in opened] == [("success", "scan"), ("success", "ward_list")]
    assert all(len(r["patient_pseudonym"]) == 32 and r["patient_pseudonym"] != "p1" for r in opened)
    lab = named(found, "lab_view")[-1]
    assert lab["outcome"] == "success" and attrs(lab)["result_count"] >= 3
    assert attrs(named(found, "trend_view")[-1])["group"] == "chemistry"
    signed = named(found, "result_signed")[-1]
    assert signed["outcome"] == "success" and attrs(signed) == {"count": 1}
    screens = [attrs(r)["screen"] for r in named(found, "screen_shown")]
    assert "search" in screens and "scan" in screens
    text = "\n".join(json.dumps(r) for r in found)
    assert "Hansen" not in text and "708000000000000128" not in text and "Nordmann" not in text


async def test_notes_direct_queued_then_delivered(app: AppState, usage: UsageLog, client: FakeClient) -> None:
    await log_in(app)
    patient = await app.open_patient("p1")
    editor = app.open_note_editor(patient)
    assert editor is not None
    editor.set_text("Hemmelig klinisk tekst")
    await editor.save(sign=True)
    editor = app.open_note_editor(patient)
    assert editor is not None
    editor.set_text("Skrevet uten nett")
    client.write_fail = Offline("no network")
    await editor.save(sign=True)
    assert app.ctx.outbox is not None
    client.write_fail = None
    await app.ctx.outbox.retry(editor.saved.id if editor.saved else "")
    found = records(usage)
    created = named(found, "note_created")
    assert [(attrs(r)["delivery"], attrs(r)["note_type"]) for r in created] == [
        ("direct", "journal_note"), ("queued", "journal_note")]
    delivered = named(found, "note_delivered")
    assert len(delivered) == 1 and attrs(delivered[0]) == {"note_type": "journal_note", "attempts": 2}
    assert "Hemmelig" not in "\n".join(json.dumps(r) for r in found)


async def test_offline_and_back_errors_lock_unlock_and_logout(app: AppState, usage: UsageLog,
                                                              client: FakeClient) -> None:
    await log_in(app)
    client.fail = Offline("down")
    await app.ward.refresh()
    await app.ward.refresh()
    app.flow.lock_now()
    app.flow.lock.pin = "9999"
    await app.flow.submit_unlock()
    app.flow.lock.pin = SESSION_PIN
    await app.flow.submit_unlock()
    await app.flow.logout()
    found = records(usage)
    events = [r["event"] for r in found]
    assert events.count("offline") == 1 and events.count("online") == 1
    assert events.index("offline") < events.index("online")
    assert attrs(named(found, "error")[0]) == {"type": "offline"}
    assert attrs(named(found, "lock")[0]) == {"trigger": "manual"}
    assert [(r["outcome"], attrs(r).get("reason")) for r in named(found, "unlock")] == [
        ("failure", "wrong_pin"), ("success", None)]
    end = named(found, "session_end")
    assert len(end) == 1 and attrs(end[0]) == {"reason": "logout"}
    session_id = named(found, "login")[-1]["session_id"]
    assert end[0]["session_id"] == session_id


async def test_the_questionnaire_is_offered_after_sessions_answered_and_dismissed(
        client: FakeClient, session: Session, usage: UsageLog, tmp_path: Path) -> None:
    schedule = SusSchedule.in_directory(tmp_path / "sus", every_sessions=2, min_days_between=0)
    app = AppState(AppContext(client=client, session=session, usage=usage),
                   sus_schedule=schedule)
    await log_in(app)
    assert not app.sus.shown  # no session completed yet
    await app.flow.logout()
    await log_in(app)
    assert not app.sus.shown  # one of two
    await app.flow.logout()
    await log_in(app)
    assert app.sus.shown
    sus = app.sus.open()
    assert not app.sus.shown and app.nav.stack[-1] is sus
    for index in range(10):
        sus.answer(index, 5 if index % 2 == 0 else 1)
    assert sus.submit() == 100.0
    await app.flow.logout()
    await log_in(app)
    await app.flow.logout()
    await log_in(app)
    assert app.sus.shown
    app.sus.dismiss()
    assert not app.sus.shown
    found = records(usage)
    assert [r["event"] for r in found if r["event"].startswith("sus_")] == [
        "sus_offered", "sus_submitted", "sus_offered", "sus_dismissed"]
    submitted = named(found, "sus_submitted")[0]
    assert attrs(submitted)["score"] == 100.0 and attrs(submitted)["q2"] == 1
    assert "sus_questionnaire" in [attrs(r)["screen"] for r in named(found, "screen_shown")]


async def test_leaving_the_scan_screen_without_a_scan_is_a_cancelled_scan(app: AppState, usage: UsageLog) -> None:
    await log_in(app)
    app.nav.select_tab(Tab.SEARCH)
    app.scans.open_scan()
    assert app.nav.back()
    scan = app.scans.open_scan()
    scan.camera_on = True
    app.nav.select_tab(Tab.WARD)
    await app.scans.scanned(GS1_DATAMATRIX, "scanner")  # a scan that finds its patient is not cancelled after
    app.nav.select_tab(Tab.SEARCH)
    scans = named(records(usage), "scan")
    assert [(r["outcome"], attrs(r)["source"]) for r in scans] == [
        ("cancelled", "scanner"), ("cancelled", "camera"), ("success", "scanner")]


async def test_an_expired_login_ends_the_usage_session_as_expired(app: AppState, usage: UsageLog,
                                                                   client: FakeClient) -> None:
    await log_in(app)
    client.fail = SessionExpired("token expired")
    await app.ward.refresh()
    found = records(usage)
    assert [attrs(r) for r in named(found, "session_end")] == [{"reason": "expired"}]
    assert attrs(named(found, "error")[-1]) == {"type": "session_expired"}
    await app.flow.logout()  # the session has already ended: no second session_end
    assert len(named(records(usage), "session_end")) == 1
