"""The lab tab's state without a page: loading on opening, groups, what is new, signing,
conflicts, following, microbiology, the trend screen and the ward list's marker."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from mobile_app.domain.models import LabFlag, LabGroup
from mobile_app.epj.errors import Offline
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Status
from mobile_app.ui.viewmodels.labs import MICRO, LabState
from mobile_app.ui.viewmodels.patient import PatientState
from mobile_app.ui.viewmodels.trend import TrendState
from tests.support.app_sessions import sign_in
from tests.support.fake_epj import FakeClient
from tests.support.fake_epj.labs import conflict, lab_result, sample_panel


async def logged_in(app: AppState, username: str = "lege1") -> AppState:
    await sign_in(app, username)
    return app


async def lab_tab(app: AppState, patient_id: str = "p1") -> tuple[PatientState, LabState]:
    screen = await app.open_patient(patient_id)
    assert screen.labs is not None
    screen.open_tab("lab")
    await screen.labs.opened()
    return screen, screen.labs


def calls(client: FakeClient, name: str) -> list[object]:
    return [arg for called, arg in client.calls if called == name]


async def test_results_load_when_the_tab_opens_not_with_the_overview(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    screen = await app.open_patient("p1")
    assert calls(client, "lab_results") == []
    assert screen.labs is not None and screen.labs.panel is None
    screen.open_tab("lab")
    await screen.labs.opened()
    assert calls(client, "lab_results") == ["p1"]
    assert screen.labs.status is Status.READY


async def test_newest_results_are_shown_in_their_groups_with_pending_apart(app: AppState) -> None:
    await logged_in(app)
    _, labs = await lab_tab(app)
    groups = dict(labs.groups())
    assert list(groups) == [LabGroup.HAEMATOLOGY, LabGroup.CHEMISTRY, LabGroup.CARDIAC]
    assert [r.name for r in groups[LabGroup.CHEMISTRY]] == ["P-Kalium", "P-CRP"]
    assert [r.name for r in labs.pending] == ["P-Kreatinin"]
    assert labs.result("k-1") is not None and labs.result("k-1").flag is LabFlag.CRITICAL_HIGH  # type: ignore[union-attr]


async def test_everything_is_new_the_first_time_then_only_what_arrived_since(
        app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    screen, labs = await lab_tab(app)
    assert labs.last_looked is None
    assert labs.new_count == 4  # never looked: every result with a value is new
    assert not labs.is_new(labs.pending[0])  # pending results are not "new results"
    screen.open_tab("overview")
    later = datetime.now(UTC) + timedelta(minutes=5)
    panel = sample_panel("p1", datetime.now(UTC))
    arrived = lab_result("k-2", "P-Kalium", "NPU03230", 5.9, "mmol/L", 3.5, 5.0, LabFlag.HIGH,
                         later - timedelta(minutes=1), issued=later)
    client.panels["p1"] = panel.model_copy(update={"latest": (*panel.latest[:1], arrived, *panel.latest[2:])})
    screen.open_tab("lab")
    await labs.opened()
    assert labs.last_looked is not None
    assert labs.panel is not None
    assert [r.id for r in labs.panel.latest if labs.is_new(r)] == ["k-2"]


async def test_last_looked_is_per_user_and_forgotten_at_logout(app: AppState) -> None:
    await logged_in(app)
    await lab_tab(app)
    assert len(app.lab_seen) == 1
    await app.flow.logout()
    assert len(app.lab_seen) == 0
    await logged_in(app)
    _, labs = await lab_tab(app)
    assert labs.last_looked is None  # a fresh session starts with everything new


async def test_select_and_sign_shows_who_signed(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    _, labs = await lab_tab(app)
    assert {r.id for r in labs.signable()} == {"k-1", "crp-3", "tnt-1"}  # Hb is signed already
    labs.toggle("hb-1")  # signed: cannot be selected
    labs.toggle("k-1")
    labs.toggle("crp-3")
    assert labs.selected == {"k-1", "crp-3"}
    assert await labs.sign()
    assert [sorted(ids) for ids in calls(client, "sign_results")] == [["crp-3", "k-1"]]  # type: ignore[call-overload]
    potassium = labs.result("k-1")
    assert potassium is not None and potassium.signature is not None
    assert potassium.signature.name == "Kari Nordmann" and potassium.version == "2"
    assert labs.selected == frozenset() and labs.signed_now == 2
    assert {r.id for r in labs.signable()} == {"tnt-1"}


async def test_select_all_then_clear(app: AppState) -> None:
    await logged_in(app)
    _, labs = await lab_tab(app)
    labs.select_all()
    assert labs.selected == {"k-1", "crp-3", "tnt-1"}
    labs.select_all()
    assert labs.selected == frozenset()


async def test_a_conflict_names_the_result_who_and_when_and_reload_clears_it(
        app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    _, labs = await lab_tab(app)
    labs.toggle("k-1")
    at = datetime(2025, 3, 4, 13, 5, tzinfo=UTC)
    client.sign_conflict = conflict("k-1", "P-Kalium", "Per Bioingeniør", at)
    assert not await labs.sign()
    assert labs.conflict is not None and labs.conflict.key == "lab.sign_conflict"
    assert labs.conflict.params["name"] == "P-Kalium"
    assert labs.conflict.params["who"] == "Per Bioingeniør"
    assert labs.conflict.params["when"].startswith("04.03.2025")
    potassium = labs.result("k-1")
    assert potassium is not None and not potassium.signed  # nothing was signed
    await labs.reload()
    assert labs.conflict is None
    assert labs.selected == {"k-1"}  # still unsigned: still chosen, now against the new version


async def test_a_failed_sign_keeps_the_selection_and_says_why(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    _, labs = await lab_tab(app)
    labs.toggle("tnt-1")
    client.fail = Offline("down")
    assert not await labs.sign()
    assert labs.sign_problem is not None and labs.sign_problem.key == "state.offline"
    assert labs.selected == {"tnt-1"} and not labs.signing


async def test_follow_switch_shows_the_server_state_and_toggles(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    client.followed = {"p1"}
    _, labs = await lab_tab(app)
    assert labs.following is True
    await labs.set_following(False)
    assert labs.following is False and client.followed == set()
    await labs.set_following(True)
    assert labs.following is True and calls(client, "follow") == ["p1"]


async def test_follow_failure_puts_the_switch_back(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    _, labs = await lab_tab(app)
    assert labs.following is False
    client.fail = Offline("down")
    await labs.set_following(True)
    assert labs.following is False
    assert labs.follow_problem is not None


async def test_microbiology_loads_when_its_section_opens(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    _, labs = await lab_tab(app)
    assert calls(client, "microbiology") == []
    await labs.show_section(MICRO)
    assert labs.micro is not None and [r.name for r in labs.micro] == ["Urindyrkning", "Blodkultur"]
    await labs.show_section(MICRO)
    assert calls(client, "microbiology") == ["p1"]  # once


async def test_an_error_keeps_the_results_shown(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    _, labs = await lab_tab(app)
    client.fail = Offline("down")
    await labs.reload()
    assert labs.status is Status.ERROR and labs.panel is not None


async def test_a_row_opens_the_trend_of_its_analyte(app: AppState) -> None:
    await logged_in(app)
    screen, labs = await lab_tab(app)
    crp = labs.result("crp-3")
    assert crp is not None
    trend = app.open_trend(screen, crp)
    assert isinstance(trend, TrendState) and app.nav.stack[-1] is trend
    assert [p.value for p in trend.points] == [3.0, 40.0, 120.0, 145.0]
    assert trend.table()[0].id == "crp-3"  # newest first
    assert len(trend.abnormal) == 3 and trend.reference == (None, 5.0)
    app.nav.back()
    assert app.nav.stack[-1] is screen


@pytest.mark.parametrize("count", [10, 5000])
def test_trend_draws_few_points_but_keeps_the_extremes(count: int) -> None:
    now = datetime.now(UTC)
    results = tuple(lab_result(f"k-{i}", "P-Kalium", "NPU03230", 4.0 + (i % 7) / 10, "mmol/L", 3.5, 5.0,
                               LabFlag.NORMAL, now - timedelta(hours=count - i)) for i in range(count))
    spike = lab_result("spike", "P-Kalium", "NPU03230", 7.1, "mmol/L", 3.5, 5.0, LabFlag.CRITICAL_HIGH,
                       now - timedelta(hours=count // 2, minutes=30))
    ordered = tuple(sorted((*results, spike), key=lambda r: r.time or now))
    trend = TrendState("p1", "Kari", "P-Kalium", "mmol/L", ordered)
    assert len(trend.drawn) <= min(count + 1, 240)
    assert any(p.result_id == "spike" for p in trend.drawn)
    assert min(p.value for p in trend.drawn) == min(p.value for p in trend.points)
    assert len(trend.table()) == min(count + 1, 50)
    trend.show_more()
    assert len(trend.table()) == min(count + 1, 100)


async def test_ward_list_marks_patients_with_unsigned_new_results(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    marked = [b for b in app.ward.beds if b.has_new_results]
    assert [b.patient.id for b in marked if b.patient] == ["p1"]
    assert [b.news2 for b in app.ward.beds] == [6, None]  # the empty bed has no score
    assert calls(client, "ward_markers") == ["ward-med"]  # beside the ward list, not after it
    client.unsigned = set()
    await app.ward.refresh()
    assert not any(b.has_new_results for b in app.ward.beds)


async def test_the_ward_list_shows_even_when_the_markers_fail(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    client.delays["ward_markers"] = 0.05
    refresh = asyncio.create_task(app.ward.refresh())
    await asyncio.sleep(0.01)
    client.fail = Offline("down")  # the slower markers request fails
    await refresh
    assert app.ward.status is Status.READY and app.ward.beds
    assert not any(b.has_new_results for b in app.ward.beds)


async def test_logout_drops_the_lab_data(app: AppState) -> None:
    await logged_in(app)
    screen, labs = await lab_tab(app)
    trend = app.open_trend(screen, labs.panel.latest[0])  # type: ignore[union-attr]
    await app.flow.logout()
    assert screen.labs is None and screen.overview is None
    assert trend is not None and trend.results == () and trend.drawn == []
