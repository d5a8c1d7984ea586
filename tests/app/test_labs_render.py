"""The lab tab, microbiology, the trend screen and the notification centre render from their
state without a browser (Flet's page on a fake session), in each state worth seeing."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import flet as ft
import flet_charts as fch
import pytest

from mobile_app.domain.models import LabFlag, NotificationKind
from mobile_app.epj.errors import Offline
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.lab import LabTab
from mobile_app.ui.screens.notifications import NotificationsScreen
from mobile_app.ui.screens.trend import TrendScreen
from mobile_app.ui.screens.ward import WardScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.labs import MICRO, LabState
from mobile_app.ui.viewmodels.patient import PatientState
from mobile_app.ui.viewmodels.trend import TrendState
from tests.support.app_sessions import sign_in
from tests.support.fake_epj import FakeClient
from tests.support.fake_epj.labs import conflict, lab_result, notification
from tests.support.screens import render, texts


def shown(control: ft.Control) -> str:
    return " ".join(texts(control))


def find(control: object, kind: type) -> list[object]:
    """Every control of a type in a tree (chart series are not in ``texts``)."""
    found: list[object] = []
    seen: set[int] = set()

    def walk(node: object) -> None:
        if node is None or id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, kind):
            found.append(node)
        if isinstance(node, list | tuple):
            for item in node:
                walk(item)
        elif isinstance(node, ft.BaseControl):
            for name in ("content", "controls", "title", "subtitle", "leading", "trailing", "data_series"):
                walk(getattr(node, name, None))

    walk(control)
    return found


@pytest.fixture
async def logged_in(app: AppState) -> AppState:
    await sign_in(app, "lege1")
    return app


async def lab_tab(app: AppState) -> tuple[PatientState, LabState]:
    screen = await app.open_patient("p1")
    assert screen.labs is not None
    screen.open_tab("lab")
    await screen.labs.opened()
    return screen, screen.labs


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_lab_tab_shows_groups_flags_new_and_signatures(logged_in: AppState, lang: str) -> None:
    t = Messages(lang)
    screen, labs = await lab_tab(logged_in)
    text = shown(render(LabTab, logged_in, screen, labs, t))
    for expected in (t("lab.group.haematology"), t("lab.group.chemistry"), t("lab.group.cardiac"),
                     "P-Kalium", "6,6 mmol/L", t("lab.flag.critical_high"), t("lab.flag.high"), "ref. 3,5–5",
                     t("lab.new"), t("lab.unsigned"), t("lab.pending"), "P-Kreatinin", t("lab.follow"),
                     t("lab.sign", count=0)):
        assert expected in text, expected
    assert "Ola Lege" in text  # Hb was signed by someone else
    segments = find(render(LabTab, logged_in, screen, labs, t), ft.SegmentedButton)
    assert segments and [s.label.value for s in segments[0].segments] == [  # type: ignore[attr-defined]
        t("lab.section.blood"), t("lab.section.micro")]


async def test_lab_tab_after_signing_and_after_a_conflict(logged_in: AppState, client: FakeClient) -> None:
    t = Messages("nb")
    screen, labs = await lab_tab(logged_in)
    labs.toggle("k-1")
    assert t("lab.sign", count=1) in shown(render(LabTab, logged_in, screen, labs, t))
    await labs.sign()
    text = shown(render(LabTab, logged_in, screen, labs, t))
    assert "Signert av Kari Nordmann kl. " in text and t("lab.signed_now", count=1) in text
    labs.toggle("crp-3")
    client.sign_conflict = conflict("crp-3", "P-CRP", "Per Bioingeniør", datetime.now(UTC))
    await labs.sign()
    text = shown(render(LabTab, logged_in, screen, labs, t))
    assert "Ingenting ble signert: P-CRP ble endret av Per Bioingeniør" in text
    assert t("lab.reload") in text


async def test_lab_tab_loading_and_error_states(logged_in: AppState, client: FakeClient) -> None:
    t = Messages("nb")
    screen = await logged_in.open_patient("p1")
    assert screen.labs is not None
    client.fail = Offline("down")
    await screen.labs.reload()
    text = shown(render(LabTab, logged_in, screen, screen.labs, t))
    assert t("state.offline") in text and t("state.retry") in text


async def test_microbiology_section_shows_status_organisms_and_sir_in_words(logged_in: AppState) -> None:
    t = Messages("nb")
    screen, labs = await lab_tab(logged_in)
    await labs.show_section(MICRO)
    text = shown(render(LabTab, logged_in, screen, labs, t))
    for expected in ("Urindyrkning", "Endelig", "Foreløpig", "Urin, midtstråle", "Escherichia coli", "Ampicillin",
                     "R · Resistent", "S · Følsom", "I · Intermediær", "Dyrking pågår."):
        assert expected in text, expected


async def test_trend_screen_with_5000_points_draws_a_few_hundred(logged_in: AppState) -> None:
    t = Messages("nb")
    now = datetime.now(UTC)
    results = tuple(lab_result(f"k-{i}", "P-Kalium", "NPU03230", 2.4 if i == 1234 else 4.0 + (i % 9) / 10,
                               "mmol/L", 3.5, 5.0, LabFlag.CRITICAL_LOW if i == 1234 else LabFlag.NORMAL,
                               now - timedelta(hours=5000 - i)) for i in range(5000))
    trend = TrendState("p1", "Kari Nordmann", "P-Kalium", "mmol/L", results)
    started = time.perf_counter()
    view = render(TrendScreen, logged_in, trend, t)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, elapsed
    text = shown(view)
    assert "5000 svar fra" in text and "1 utenfor referanseområdet" in text
    assert "Referanseområde 3,5–5 mmol/L" in text and t("trend.table") in text
    assert "Grafen viser" in text and "Vis 50 til (4950 igjen)" in text
    charts = find(view, fch.LineChart)
    assert len(charts) == 1
    chart = charts[0]
    assert isinstance(chart, fch.LineChart)
    line = chart.data_series[-1]
    assert 4 <= len(line.points) <= 240
    marked = [p for p in line.points if p.point is not None]
    assert len(marked) == 1 and isinstance(marked[0].point, fch.ChartSquarePoint)  # the critical spike
    band = chart.data_series[0]
    assert band.below_line_cutoff_y == 3.5 and band.below_line_bgcolor is not None


async def test_trend_without_numbers_says_so(logged_in: AppState) -> None:
    t = Messages("en")
    trend = TrendState("p1", "Kari", "U-Stix", None, ())
    assert t("trend.no_points") in shown(render(TrendScreen, logged_in, trend, t))


async def test_notification_centre_unread_stale_and_opened(logged_in: AppState, client: FakeClient) -> None:
    t = Messages("nb")
    notes = logged_in.notifications
    client.notification_items = [notification("Communication/lab-1", NotificationKind.LAB_RESULT, 5),
                    notification("Communication/m-1", NotificationKind.MESSAGE, 30, patient_id=None,
                                 text="Husk møtet kl. 14", read=True)]
    await notes.refresh()
    text = shown(render(NotificationsScreen, logged_in, notes, t))
    assert "Nye prøvesvar" in text and "Ny" in text and "1 uleste" in text
    assert "Sist oppdatert" in text and "Kari Nordmann" in text  # the patient's name from the ward list
    notes.open(notes.items[1])
    assert "Husk møtet kl. 14" in shown(render(NotificationsScreen, logged_in, notes, t))
    client.fail = Offline("down")
    await notes.refresh(full=False)
    text = shown(render(NotificationsScreen, logged_in, notes, t))
    assert "Varslene kan være utdaterte" in text and "Nye prøvesvar" in text


async def test_ward_list_marker_is_icon_and_text(logged_in: AppState) -> None:
    t = Messages("nb")
    assert t("ward.new_results") in shown(render(WardScreen, logged_in, logged_in.ward, t))
