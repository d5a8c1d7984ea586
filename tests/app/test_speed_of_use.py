"""The Speed of use items of issue 13, on the view models and rendered screens: tabs and "Mer",
refresh and the new-result notice, messages (sender, reply, patient), the ward list's settings and
markers on every list, break-the-glass reasons, and the tablet layout."""

from __future__ import annotations

from datetime import UTC, datetime

import flet as ft

from mobile_app.domain.models import NotificationKind, WardBed
from mobile_app.domain.ward_list import BedOrder, WardListPrefs, arranged
from mobile_app.domain.writing import MessageDraft
from mobile_app.epj import preferences, write_mapping
from mobile_app.epj.errors import Offline
from mobile_app.epj.terminology import terms
from mobile_app.ui import shell
from mobile_app.ui.components.outbox import item_patient
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.patient import PatientScreen
from mobile_app.ui.screens.search import SearchScreen
from mobile_app.ui.screens.ward import WardScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.messages import ComposeState
from mobile_app.ui.viewmodels.navigator import Tab
from mobile_app.ui.viewmodels.patient import COMMON_REASONS, MAIN_TABS, MORE, MORE_TABS, PatientState
from mobile_app.ui.viewmodels.scan import ScanState
from tests.support.fake_epj import FakeClient, patient
from tests.support.fake_epj.labs import notification
from tests.support.overviews import rich_overview
from tests.support.screens import render, texts
from tests.support.wristband_scans import GS1_DATAMATRIX, GSRN

T = Messages("nb")


def shown(control: ft.Control) -> str:
    return " ".join(texts(control))


def find(control: object, kind: type) -> list[object]:
    found: list[object] = []

    def walk(node: object) -> None:
        if isinstance(node, kind):
            found.append(node)
        if isinstance(node, list | tuple):
            for item in node:
                walk(item)
        elif isinstance(node, ft.BaseControl):
            for name in ("content", "controls", "tabs"):
                walk(getattr(node, name, None))
    walk(control)
    return found


# ------------------------------------------------------------------ tabs and "Mer"


async def test_four_tabs_and_mer_hold_every_section(writer: AppState) -> None:
    screen = await writer.open_patient("p1")
    screen.overview = rich_overview(datetime.now(UTC))
    bar = find(render(PatientScreen, writer, screen, T), ft.TabBar)[0]
    assert isinstance(bar, ft.TabBar)
    labels = [shown(tab.label) if isinstance(tab, ft.Tab) and isinstance(tab.label, ft.Control) else tab
              for tab in bar.tabs]
    assert labels == [*(T(f"pt.tab.{n}") for n in MAIN_TABS), "Mer"]
    screen.open_bar(4)
    assert screen.tab == MORE and screen.bar_index == 4
    listed = shown(render(PatientScreen, writer, screen, T))
    assert all(T(f"pt.tab.{name}") in listed for name in MORE_TABS)
    screen.open_tab("plan")
    assert screen.bar_index == 4  # "Mer" stays marked while one of its sections is shown
    assert "Behandlingsplan" in shown(render(PatientScreen, writer, screen, T))
    screen.open_bar(1)
    assert screen.tab == "lab" and screen.bar_index == 1


# ------------------------------------------------------------------ scanning from anywhere


async def test_a_burst_on_my_patients_opens_the_scanned_patient(writer: AppState, client: FakeClient) -> None:
    client.results[GSRN] = [patient("p7", family="Lund")]
    assert writer.nav.tab is Tab.MY_PATIENTS and writer.scans.scanning_allowed
    await writer.scans.scanned(GS1_DATAMATRIX, "scanner")
    opened = writer.nav.top(PatientState)
    assert opened is not None and opened.patient_id == "p7" and opened.scanned
    assert writer.nav.top(ScanState) is None  # back goes to My patients, not to the scan screen


async def test_a_burst_typed_into_the_search_field_still_scans(writer: AppState) -> None:
    writer.nav.select_tab(Tab.SEARCH)
    writer.scans.typing(True, passes_scans=True)  # the search field has the cursor as Search opens
    assert writer.scans.scanning_allowed
    writer.scans.typing(True)  # any other field keeps the keys
    assert not writer.scans.scanning_allowed
    field = find(render(SearchScreen, writer, writer.search, T), ft.TextField)[0]
    assert isinstance(field, ft.TextField) and field.autofocus


# ------------------------------------------------------------------ refresh and the notice


async def test_the_patient_screen_refreshes_in_place(writer: AppState, client: FakeClient) -> None:
    screen = await writer.open_patient("p1")
    screen.open_tab("documents")
    before = sum(1 for name, _ in client.calls if name == "overview")
    await screen.refresh()
    assert sum(1 for name, _ in client.calls if name == "overview") == before + 1
    assert screen.tab == "documents" and screen.REFRESHABLE
    view = render(shell.pushed_view, writer, T, 0, screen, lambda: None)
    assert isinstance(view, ft.View) and view.appbar is not None
    actions = view.appbar.actions  # type: ignore[union-attr]
    assert any(getattr(a, "tooltip", None) == T("state.refresh") for a in actions or [])


async def test_a_new_result_for_the_open_patient_is_announced_on_its_screen(writer: AppState,
                                                                            client: FakeClient) -> None:
    client.notification_items = [notification("n-old", NotificationKind.LAB_RESULT, 30)]
    await writer.notifications.refresh(full=False)  # the backlog: no notice
    screen = await writer.open_patient("p1")
    assert not screen.results_arrived
    client.notification_items.append(notification("n-new", NotificationKind.LAB_RESULT, 0))
    client.notification_items.append(notification("n-other", NotificationKind.LAB_RESULT, 0, patient_id="p2"))
    await writer.notifications.refresh(full=False)
    assert screen.results_arrived
    assert T("pt.new_results") in shown(render(PatientScreen, writer, screen, T))
    await screen.refresh()
    assert not screen.results_arrived


# ------------------------------------------------------------------ messages


async def test_a_message_carries_its_senders_name_and_its_patient_in_the_outbox(writer: AppState,
                                                                                client: FakeClient) -> None:
    screen = await writer.open_patient("p1")
    compose = writer.open_compose(about=screen)
    assert isinstance(compose, ComposeState)
    compose.choose((await client.search_practitioners("Ola"))[0])
    compose.set_text("Kan du se på kaliumet?")
    client.write_fail = Offline("down")
    item = await compose.send()
    assert item is not None and isinstance(item.payload, MessageDraft)
    assert item.payload.author_name == "Kari Nordmann"
    assert item_patient(T, item) == "Pasient: Kari Nordmann"
    resource = write_mapping.communication(item.payload, datetime.now(UTC))
    assert resource["sender"]["display"] == "Kari Nordmann"  # the recipient's "Fra Kari Nordmann"


async def test_reply_goes_to_the_sender_about_the_same_patient_and_opens_the_patient(writer: AppState) -> None:
    box = writer.open_messages()
    await box.refresh()
    message = box.inbox[0].model_copy(update={"sender_id": "prac-002", "about_patient_id": "p1",
                                              "about_patient_name": "Kari Nordmann"})
    box.inbox = [message]
    await box.open(message.id)
    card = shown(render(shell.pushed_view, writer, T, 0, box, lambda: None))
    assert "Svar" in card and "Åpne pasient" in card and "Fra Ola Berg" in card
    reply = writer.reply(box, message)
    assert reply is not None and reply.recipient is not None and reply.recipient.id == "prac-002"
    assert reply.about_patient_id == "p1" and reply.about_a_patient
    writer.nav.back()
    opened = await writer.open_message_patient(message)
    assert opened is not None and opened.patient_id == "p1" and opened.opened_from == "message"


async def test_the_menu_carries_a_badge_while_something_is_unsent(writer: AppState, client: FakeClient) -> None:
    menu = shell.account_menu(writer, T, lambda: None)
    assert isinstance(menu, ft.PopupMenuButton) and menu.tooltip == "Meny"
    compose = writer.open_compose()
    assert compose is not None
    compose.choose((await client.search_practitioners("Ola"))[0])
    compose.set_text("Hei")
    client.write_fail = Offline("down")
    await compose.send()
    menu = shell.account_menu(writer, T, lambda: None)
    assert isinstance(menu, ft.PopupMenuButton) and isinstance(menu.icon, ft.Icon)
    assert menu.icon.badge is not None and menu.tooltip == "Meny, 1 venter på å bli sendt"


# ------------------------------------------------------------------ ward list settings and markers


def _bed(label: str, room: int, *, news2: int | None = None, new: bool = False, empty: bool = False) -> WardBed:
    return WardBed(bed_id=label, bed_name=f"Rom {room}", bed_label=label, room_name=f"Rom {room}",
                   sort_key=(room, 1), patient=None if empty else patient(f"p-{label}"), news2=news2,
                   has_new_results=new)


def test_beds_are_hidden_and_sorted_as_chosen() -> None:
    beds = [_bed("3", 3, news2=2), _bed("1", 1, empty=True), _bed("2", 2, news2=7, new=True), _bed("4", 4)]
    assert [b.bed_label for b in arranged(beds, WardListPrefs())] == ["1", "2", "3", "4"]
    assert [b.bed_label for b in arranged(beds, WardListPrefs(hide_empty=True))] == ["2", "3", "4"]
    assert [b.bed_label for b in arranged(beds, WardListPrefs(order=BedOrder.NEWS2))] == ["2", "3", "4", "1"]
    assert [b.bed_label for b in arranged(beds, WardListPrefs(order=BedOrder.NEW_RESULTS))] == ["2", "3", "4", "1"]


async def test_the_ward_list_settings_are_the_users_own_on_the_epj(writer: AppState, client: FakeClient) -> None:
    ward = writer.ward
    assert ward.prefs == WardListPrefs() and len(ward.shown) == 2  # one occupied, one empty bed
    ward.set_hide_empty(True)
    assert [b.patient is not None for b in ward.shown] == [True]  # at once on screen
    await ward.saved()
    assert client.prefs["prac-001"] == WardListPrefs(hide_empty=True)
    client.prefs["prac-001"] = WardListPrefs(hide_empty=True, order=BedOrder.NEWS2)  # chosen on another phone
    await ward.load()
    assert ward.prefs.order is BedOrder.NEWS2
    client.write_fail = None
    client.fail = Offline("down")
    ward.set_order(BedOrder.BED)
    await ward.saved()
    assert ward.prefs.order is BedOrder.BED and ward.prefs_problem is not None  # kept, and said
    text = shown(render(WardScreen, writer, ward, T))
    assert T("ward.prefs_not_saved") in text and T("ward.hide_empty", count=1) in text


def test_the_settings_list_is_standard_fhir_and_reads_back() -> None:
    body = preferences.settings_resource(None, "prac-1", WardListPrefs(True, BedOrder.NEW_RESULTS), datetime.now(UTC))
    assert body["resourceType"] == "List" and body["source"] == {"reference": "Practitioner/prac-1"}
    assert body["mode"] == "working" and "entry" not in body
    assert preferences.prefs_of(body) == WardListPrefs(True, BedOrder.NEW_RESULTS)
    assert preferences.prefs_of(None) == WardListPrefs()
    odd = {**body, "orderedBy": {"coding": [{"system": terms().ward_list_order.system, "code": "alphabetic"}]}}
    assert preferences.prefs_of(odd).order is BedOrder.BED


async def test_my_patients_and_search_results_carry_the_ward_lists_markers(writer: AppState) -> None:
    assert writer.my.markers["p1"].critical and writer.my.markers["p1"].news2 == 6
    assert writer.my.markers["p1"].new_results and "p9" not in writer.my.markers
    writer.search.change("hansen")
    await writer.search.search_now()
    assert writer.search.markers["p1"].news2 == 6
    text = shown(render(SearchScreen, writer, writer.search, T))
    assert "NEWS2 6" in text and "Nye prøvesvar" in text
    row = find(render(SearchScreen, writer, writer.search, T), ft.Semantics)
    labels = [getattr(s, "label", "") or "" for s in row]
    assert any(label.startswith("Hansen") or "NEWS2 6" in label for label in labels)


# ------------------------------------------------------------------ break-the-glass reasons


async def test_a_picked_reason_is_the_reason_sent(writer: AppState, client: FakeClient) -> None:
    client.no_access.add("p9")
    screen = await writer.open_patient("p9")
    text = shown(render(PatientScreen, writer, screen, T))
    assert all(T(key) in text for key in COMMON_REASONS)
    assert all(len(T(key)) >= 10 and len(Messages("en")(key)) >= 10 for key in COMMON_REASONS)
    screen.pick_reason(T("access.reason.transferred"))
    assert await screen.break_glass()
    assert ("overview", ("p9", "Overført til min avdeling")) in client.calls
    assert screen.emergency_until is not None


# ------------------------------------------------------------------ tablet


async def test_a_tablet_shows_the_list_and_the_patient_side_by_side(writer: AppState) -> None:
    assert not shell.is_wide(390) and not shell.is_wide(None) and shell.is_wide(1024)
    writer.nav.select_tab(Tab.WARD)
    empty = render(shell.wide_view, writer, T, lambda: None)
    assert T("tablet.choose") in shown(empty)
    assert find(empty, ft.NavigationRail)
    screen = await writer.open_patient("p1")
    screen.overview = rich_overview(datetime.now(UTC))
    view = render(shell.wide_view, writer, T, lambda: None)
    text = shown(view)
    assert "Rom 1 seng 1" in text and "Oversikt" in text and "CAVE: Penicillin" in text  # list and patient
