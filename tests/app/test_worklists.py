"""My tasks, the appointment book, arrival with undo and the Attendances tab, as view-models on a
fake EPJ (with an outbox in memory), and what their screens show and offer to each role."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import flet as ft

from mobile_app.domain.models import NotificationKind, Role
from mobile_app.domain.worklists import BookOwner, TaskAction
from mobile_app.epj.errors import Offline
from mobile_app.services.outbox_items import ItemState
from mobile_app.ui import shell
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import view_for
from mobile_app.ui.screens.tasks import TasksScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.book import BookState
from mobile_app.ui.viewmodels.navigator import Tab
from mobile_app.ui.viewmodels.task import TaskState
from tests.support.app_sessions import sign_in
from tests.support.fake_epj import FakeClient
from tests.support.fake_epj.labs import notification
from tests.support.overviews import rich_overview
from tests.support.screens import render, texts

T = Messages("nb")


def shown_text(control: object) -> str:
    return " ".join(texts(control))


async def as_role(app: AppState, client: FakeClient, role: Role) -> AppState:
    await app.flow.request_logout()
    client.role = role
    await sign_in(app, "bruker")
    return app


# ------------------------------------------------------------------ my tasks


async def test_my_tasks_put_overdue_first_and_say_so(writer: AppState, client: FakeClient) -> None:
    await writer.tasks.load()
    shown = writer.tasks.shown
    assert [t.id for t in shown] == ["t1", "t2"]  # t3 is someone else's
    assert writer.tasks.overdue(shown[0]) and not writer.tasks.overdue(shown[1])
    assert writer.open_task_count == 2
    screen = shown_text(render(TasksScreen, writer, writer.tasks, T))
    assert "Over fristen" in screen and "Haster" in screen and "Fra Jonas Berg" in screen
    assert "Aksepter" in screen and "Fullfør" in screen and "Gi tilbake" in screen


async def test_one_open_task_is_said_in_the_singular(writer: AppState, client: FakeClient) -> None:
    client.tasks.pop("t2")
    await writer.tasks.load()
    screen = shown_text(render(TasksScreen, writer, writer.tasks, T))
    assert "1 åpen oppgave" in screen and "åpne oppgaver" not in screen


async def test_the_ward_view_shows_every_open_task_of_the_ward(writer: AppState, client: FakeClient) -> None:
    await writer.tasks.switch("ward")
    assert {t.id for t in writer.tasks.shown} == {"t1", "t2", "t3"}
    assert ("ward_tasks", "ward-med") in client.calls
    assert "Ansvarlig: Kari Nordmann" in shown_text(render(TasksScreen, writer, writer.tasks, T))


async def test_completing_a_task_goes_through_the_outbox_once(writer: AppState, client: FakeClient) -> None:
    await writer.tasks.load()
    task = writer.tasks.shown[0]
    item = await writer.tasks.act(task, TaskAction.COMPLETE)
    assert item is not None and writer.ctx.outbox is not None
    assert writer.ctx.outbox.get(item.id).state is ItemState.SENT
    assert client.tasks["t1"].status == "completed" and len(client.task_changes) == 1
    done = next(t for t in writer.tasks.shown if t.id == "t1")
    assert done.status == "completed" and writer.tasks.changes.actions(done) == ()
    assert done.patient_name == "Kari Nordmann"  # the EPJ's answer names no patient: the list's stays
    assert writer.open_task_count == 1


async def test_a_change_offline_shows_at_once_and_waits(writer: AppState, client: FakeClient) -> None:
    await writer.tasks.load()
    client.write_fail = Offline("no network")
    task = writer.tasks.shown[1]
    item = await writer.tasks.act(task, TaskAction.COMPLETE)
    assert item is not None and item.state is ItemState.WAITING
    shown = next(t for t in writer.tasks.shown if t.id == task.id)
    assert shown.status == "completed" and writer.tasks.changes.sending(shown)
    assert "Venter på sending" in shown_text(render(TasksScreen, writer, writer.tasks, T))


async def test_a_conflict_names_who_changed_the_task_first(writer: AppState, client: FakeClient) -> None:
    await writer.tasks.load()
    client.someone_changes_task("t1", "accepted")
    client.changed_by = "Ola Lege"
    item = await writer.tasks.act(writer.tasks.shown[0], TaskAction.COMPLETE)
    assert item is not None
    await asyncio.sleep(0.01)  # the list is read again
    failure = writer.tasks.changes.failure(writer.tasks.shown[0])
    assert failure is not None and failure.key == "tasks.conflict_by" and failure.params["name"] == "Ola Lege"
    assert writer.tasks.shown[0].status == "accepted"  # what the EPJ has now
    assert "Oppgaven ble endret av Ola Lege" in shown_text(render(TasksScreen, writer, writer.tasks, T))


async def test_a_conflict_the_epj_does_not_explain_says_someone_else(writer: AppState, client: FakeClient) -> None:
    await writer.tasks.load()
    client.someone_changes_task("t2", "in-progress")
    await writer.tasks.act(writer.tasks.shown[1], TaskAction.COMPLETE)
    await asyncio.sleep(0.01)
    assert "Oppgaven ble endret av noen andre" in shown_text(render(TasksScreen, writer, writer.tasks, T))


async def test_handing_back_needs_a_reason(writer: AppState, client: FakeClient) -> None:
    await writer.tasks.load()
    task = writer.tasks.shown[0]
    assert await writer.tasks.act(task, TaskAction.HAND_BACK) is None  # opens the reason
    assert writer.tasks.changes.hand_back == "t1"
    assert "Hvorfor gir du den tilbake?" in shown_text(render(TasksScreen, writer, writer.tasks, T))
    assert await writer.tasks.act(task, TaskAction.HAND_BACK) is None
    assert writer.tasks.changes.problem is not None and writer.tasks.changes.problem.key == "write.hand_back.empty"
    writer.tasks.type_reason("Pasienten er flyttet til kirurgisk")
    assert await writer.tasks.act(task, TaskAction.HAND_BACK) is not None
    assert client.tasks["t1"].status == "rejected"
    assert client.tasks["t1"].status_reason == "Pasienten er flyttet til kirurgisk"
    started = next(t for t in writer.tasks.shown if t.id == "t2")
    writer.tasks.changes.start_hand_back(started)
    writer.tasks.type_reason("Må til operasjon")
    await writer.tasks.act(started, TaskAction.HAND_BACK)
    assert client.tasks["t2"].status == "failed"  # handed back after it was started


async def test_a_health_worker_changes_only_her_own_tasks(writer: AppState, client: FakeClient) -> None:
    app = await as_role(writer, client, Role.HEALTH_WORKER)
    await app.tasks.switch("ward")
    others = next(t for t in app.tasks.shown if t.id == "t3")
    own = next(t for t in app.tasks.shown if t.id == "t1")
    assert app.tasks.changes.actions(others) == () and app.tasks.changes.actions(own)
    assert await app.tasks.act(others, TaskAction.COMPLETE) is None
    assert client.tasks["t3"].status == "accepted"


async def test_an_auditor_is_offered_no_task_actions(writer: AppState, client: FakeClient) -> None:
    app = await as_role(writer, client, Role.AUDITOR)
    await app.tasks.switch("ward")
    assert all(app.tasks.changes.actions(t) == () for t in app.tasks.shown)
    screen = shown_text(render(TasksScreen, app, app.tasks, T))
    assert not re.search(r"\b(Fullfør|Aksepter|Start|Gi tilbake)\b", screen)  # no buttons (Akseptert is a status)


async def test_a_task_notification_opens_the_task_and_completes_it(writer: AppState, client: FakeClient) -> None:
    item = notification("Task/t1", NotificationKind.TASK, 5, text="Vurder dagens blodprøvesvar").model_copy(
        update={"status": "requested", "version": "1"})
    writer.notifications.items = [item]
    await writer.open_notification(item)
    screen = writer.nav.top(TaskState)
    assert screen is not None and screen.actions
    shown = shown_text(render(view_for(TaskState), writer, screen, T))
    assert "Fullfør" in shown and "Åpne pasient" in shown
    await screen.act(TaskAction.COMPLETE)
    assert client.tasks["t1"].status == "completed" and screen.work.status == "completed"
    assert "Fullført" in shown_text(render(view_for(TaskState), writer, screen, T))


async def test_the_tasks_tab_is_in_the_navigation_with_its_count(writer: AppState, client: FakeClient) -> None:
    writer.nav.select_tab(Tab.TASKS)
    await writer.tasks.load()
    view = render(shell.home_view, writer, T, lambda: None)
    assert isinstance(view, ft.View) and "Oppgaver" in shown_text(view)
    bar = view.navigation_bar
    assert isinstance(bar, ft.NavigationBar)
    icon = bar.destinations[3].icon
    assert isinstance(icon, ft.Icon) and isinstance(icon.badge, ft.Badge) and icon.badge.label == "2"


# ------------------------------------------------------------------ the appointment book


async def open_book(app: AppState) -> BookState:
    book = app.open_book()
    await app.background_done()
    return book


async def test_my_book_today_and_other_days(writer: AppState, client: FakeClient) -> None:
    book = await open_book(writer)
    assert [a.id for a in book.rows] == ["a1", "a2"]
    today = writer.ctx.today()
    await book.next_day()
    assert book.shown_day == today + timedelta(days=1) and book.rows == []
    await book.previous_day()
    await book.previous_day()
    assert book.shown_day == today - timedelta(days=1)
    await book.today()
    assert book.shown_day == today and len(book.rows) == 2
    screen = shown_text(render(view_for(BookState), writer, book, T))
    assert "Min timebok" in screen and "I dag" in screen and "Registrer som møtt" in screen
    assert "Medisinsk poliklinikk" in screen and "Poliklinisk kontroll" in screen and "Booket" in screen


async def test_register_arrival_and_undo_within_ten_seconds(writer: AppState, client: FakeClient) -> None:
    book = await open_book(writer)
    first = book.rows[0]
    item = await book.register_arrival(first)
    assert item is not None and item.state is ItemState.SENT
    assert book.rows[0].status == "arrived" and book.can_undo
    assert book.rows[0].patient_name == "Kari Nordmann" and book.rows[0].version == "2"
    screen = shown_text(render(view_for(BookState), writer, book, T))
    assert "er registrert som møtt" in screen and "Angre" in screen and "Møtt" in screen
    await book.undo()
    assert book.rows[0].status == "booked" and not book.can_undo
    assert [d.arrived for d in client.arrivals] == [True, False]


async def test_no_undo_after_ten_seconds(writer: AppState, client: FakeClient) -> None:
    book = await open_book(writer)
    await book.register_arrival(book.rows[0])
    later = datetime.now(UTC) + timedelta(seconds=11)
    writer.ctx.now = lambda: later
    assert not book.can_undo
    assert await book.undo() is None
    assert client.appointments["a1"].status == "arrived" and len(client.arrivals) == 1
    assert "Angre" not in shown_text(render(view_for(BookState), writer, book, T))


async def test_an_undo_offline_replaces_the_waiting_arrival(writer: AppState, client: FakeClient) -> None:
    book = await open_book(writer)
    client.write_fail = Offline("no network")
    item = await book.register_arrival(book.rows[0])
    assert item is not None and item.state is ItemState.WAITING and book.rows[0].status == "arrived"
    await book.undo()
    assert writer.ctx.outbox is not None and len(writer.ctx.outbox.items) == 1
    writer.ctx.outbox.retry_now()
    await writer.ctx.outbox.run_due()
    assert client.appointments["a1"].status == "booked" and client.arrivals == []


async def test_a_colleagues_book_shows_no_reason_and_offers_no_arrival(writer: AppState, client: FakeClient) -> None:
    book = await open_book(writer)
    book.open_search()
    await book.search("jon")
    await asyncio.sleep(0.3)
    assert [b.name for b in book.found] == ["Jonas Berg"]
    await book.choose(book.found[0])
    assert [a.id for a in book.rows] == ["a3"] and not book.mine
    assert book.rows[0].reason is None and not book.may_arrive(book.rows[0])
    screen = shown_text(render(view_for(BookState), writer, book, T))
    assert "Timebok: Jonas Berg" in screen and "Begrunnelse vises bare for dine pasienter" in screen
    assert "Registrer som møtt" not in screen and "Tilbake til min timebok" in screen
    await book.choose(None)
    assert book.mine and len(book.rows) == 2


async def test_a_clinics_book(writer: AppState, client: FakeClient) -> None:
    book = await open_book(writer)
    await book.choose(BookOwner(kind="Location", id="clinic-med", name="Medisinsk poliklinikk"))
    assert len(book.rows) == 3
    assert ("appointment_book", ("Location/clinic-med", writer.ctx.today())) in client.calls


async def test_a_health_worker_is_not_offered_arrival(writer: AppState, client: FakeClient) -> None:
    app = await as_role(writer, client, Role.HEALTH_WORKER)
    book = await open_book(app)
    assert book.rows and not any(book.may_arrive(a) for a in book.rows)
    assert await book.register_arrival(book.rows[0]) is None
    assert "Registrer som møtt" not in shown_text(render(view_for(BookState), app, book, T))


async def test_an_appointment_opens_its_patient(writer: AppState, client: FakeClient) -> None:
    book = await open_book(writer)
    patient = await writer.open_appointment_patient(book.rows[0])
    assert patient is not None and patient.patient_id == "p1" and patient.opened_from == "appointment"


# ------------------------------------------------------------------ attendances


async def test_the_attendances_tab_lists_outpatient_visits_apart_from_stays(writer: AppState,
                                                                          client: FakeClient) -> None:
    screen = await writer.open_patient("p1")
    screen.overview = rich_overview(datetime.now(UTC))
    screen.open_tab("attendances")
    view = shown_text(render(shell.pushed_view, writer, T, 0, screen, lambda: None))
    assert "Oppmøter" in view and "Medisinsk poliklinikk: Poliklinisk kontroll" in view and "Gjennomført" in view
    screen.open_tab("stays")
    stays = shown_text(render(shell.pushed_view, writer, T, 0, screen, lambda: None))
    assert "Medisinsk poliklinikk" not in stays and "Pneumoni" in stays
