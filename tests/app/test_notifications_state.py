"""The notification centre's state: polling only while in use, only what changed, unread count,
opening the right view, staleness, and nothing left after logout."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from mobile_app.domain.models import NotificationKind, NotificationView
from mobile_app.epj.errors import Offline
from mobile_app.services.session import Session
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import view_for
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import AppContext
from mobile_app.ui.viewmodels.patient import PatientState
from mobile_app.ui.viewmodels.task import TaskState
from tests.support.app_sessions import SESSION_PIN, sign_in
from tests.support.clocks import MonotonicClock
from tests.support.fake_epj import FakeClient
from tests.support.fake_epj.labs import notification
from tests.support.screens import render, texts

FAST = 0.05  # seconds between polls in these tests


def polls(client: FakeClient) -> int:
    return sum(1 for name, _ in client.calls if name == "notifications")


async def logged_in(app: AppState) -> AppState:
    app.notifications.interval = FAST
    await sign_in(app, "lege1")
    await asyncio.sleep(0.01)
    return app


def inbox(client: FakeClient) -> None:
    client.notification_items = [
        notification("Communication/lab-1", NotificationKind.LAB_RESULT, 5),
        notification("Task/t-1", NotificationKind.TASK, 20, text="Vurder antibiotika"),
        notification("Communication/m-1", NotificationKind.MESSAGE, 60, patient_id=None, text="Møte kl. 14",
                     read=True),
    ]


async def test_polling_starts_at_login_and_fetches_only_what_changed(app: AppState, client: FakeClient) -> None:
    inbox(client)
    await logged_in(app)
    assert app.notifications.polling
    assert [n.id for n in app.notifications.items] == ["Communication/lab-1", "Task/t-1", "Communication/m-1"]
    assert app.notifications.last_success is not None
    await asyncio.sleep(FAST * 3)
    sinces = [arg for name, arg in client.calls if name == "notifications"]
    assert sinces[0] is None and len(sinces) >= 2
    assert all(since == app.notifications.items[0].updated for since in sinces[1:])


async def test_polling_stops_on_lock_and_resumes_on_unlock(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    app.flow.lock_now()
    await asyncio.sleep(FAST)
    assert not app.notifications.polling
    before = polls(client)
    await asyncio.sleep(FAST * 4)
    assert polls(client) == before  # nothing asked while locked
    app.flow.lock.pin = SESSION_PIN
    await app.flow.submit_unlock()
    await asyncio.sleep(FAST * 2)
    assert app.notifications.polling and polls(client) > before


async def test_polling_stops_when_the_idle_lock_falls(app: AppState, client: FakeClient, clock: MonotonicClock) -> None:
    await logged_in(app)
    clock.now += 301
    assert app.flow.check_idle()
    assert not app.notifications.polling


async def test_polling_pauses_in_the_background(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    app.notifications.set_foreground(False)
    await asyncio.sleep(FAST)
    before = polls(client)
    await asyncio.sleep(FAST * 4)
    assert polls(client) == before and not app.notifications.polling
    app.notifications.set_foreground(True)
    await asyncio.sleep(FAST)
    assert polls(client) > before


async def test_a_new_result_arrives_and_counts_as_unread(app: AppState, client: FakeClient) -> None:
    inbox(client)
    await logged_in(app)
    assert app.notifications.unread == 2
    client.notification_items.append(notification("Communication/lab-2", NotificationKind.LAB_RESULT, 0))
    await asyncio.sleep(FAST * 3)
    assert app.notifications.items[0].id == "Communication/lab-2"
    assert app.notifications.unread == 3


async def test_a_failed_poll_keeps_the_list_and_says_it_is_stale(app: AppState, client: FakeClient) -> None:
    inbox(client)
    await logged_in(app)
    good = app.notifications.last_success
    app.notifications.stop()
    client.fail = Offline("down")
    await app.notifications.refresh(full=False)
    assert app.notifications.stale and app.notifications.last_success == good
    assert len(app.notifications.items) == 3
    await app.notifications.refresh(full=False)
    assert not app.notifications.stale


async def test_a_lab_notification_opens_the_lab_tab_and_is_marked_read(app: AppState, client: FakeClient) -> None:
    inbox(client)
    await logged_in(app)
    lab = app.notifications.items[0]
    await app.open_notification(lab)
    screen = app.nav.top(PatientState)
    assert isinstance(screen, PatientState) and screen.patient_id == "p1" and screen.tab == "lab"
    assert screen.labs is not None and screen.labs.panel is not None
    assert app.notifications.items[0].read and app.notifications.unread == 1
    await asyncio.sleep(0.01)
    assert client.read_ids == ["Communication/lab-1"]


async def test_a_task_opens_its_own_screen_and_from_there_the_patient(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    due = datetime.now(UTC) - timedelta(hours=1)
    inbox_item = notification("Task/t-9", NotificationKind.TASK, 1, text="Ta blodkultur").model_copy(
        update={"due": due, "sender": "Ola Lege"})
    app.notifications.items = [inbox_item]
    await app.open_notification(inbox_item)
    task = app.nav.top(TaskState)
    assert task is not None and task.text == "Ta blodkultur" and task.due == due and task.requester == "Ola Lege"
    assert task.patient is not None and task.patient.id == "p1"  # known from the ward list: named
    assert task.overdue(datetime.now(UTC))
    assert app.notifications.items[0].read
    shown = " ".join(texts(render(view_for(TaskState), app, task, Messages("nb"))))
    assert "Ta blodkultur" in shown and "Ola Lege" in shown and "over fristen" in shown and "Åpne pasient" in shown
    await app.open_patient(task.patient_id or "", task.patient, opened_from="task")
    assert app.nav.top(PatientState) is not None
    app.nav.back()
    assert app.nav.top(TaskState) is task  # back to the task


async def test_a_message_without_patient_shows_its_text(app: AppState, client: FakeClient) -> None:
    inbox(client)
    await logged_in(app)
    message = app.notifications.items[2]
    assert app.notifications.open(message) is NotificationView.MESSAGE
    assert app.notifications.opened is not None and app.notifications.opened.text == "Møte kl. 14"
    await app.open_notification(message)  # a second tap folds it again
    assert app.notifications.opened is None and app.nav.stack == []
    assert client.read_ids == []  # it was read already: nothing to write


async def test_logout_stops_polling_and_forgets_every_notification(app: AppState, client: FakeClient) -> None:
    inbox(client)
    await logged_in(app)
    await app.flow.logout()
    assert not app.notifications.polling
    assert app.notifications.items == [] and app.notifications.last_success is None
    before = polls(client)
    await asyncio.sleep(FAST * 3)
    assert polls(client) == before


async def test_the_interval_comes_from_the_app(session: Session, client: FakeClient) -> None:
    app = AppState(AppContext(client=client, session=session), poll_seconds=7)
    assert app.notifications.interval == 7


async def test_a_new_result_notification_stays_read_once_opened_until_logout(app: AppState, client: FakeClient) -> None:
    """New results have no "seen by" in FHIR: the centre keeps what was opened read, for the session."""
    result = notification("results/p1/2026-11-28T09:00:00Z", NotificationKind.LAB_RESULT, 5, text="P-Kalium")
    client.notification_items = [result]
    await logged_in(app)
    [shown] = app.notifications.items
    assert not shown.read
    app.notifications.open(shown)
    await app.notifications.refresh(full=True)  # the EPJ still sends it unread
    assert [n.read for n in app.notifications.items] == [True] and app.notifications.unread == 0
    app.notifications.reset()  # logout
    await app.notifications.refresh(full=True)
    assert [n.read for n in app.notifications.items] == [False]
