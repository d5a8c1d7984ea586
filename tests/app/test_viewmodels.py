"""Screen state without a Flet page: search, ward list, patient overview and break-the-glass."""

from __future__ import annotations

import asyncio

from mobile_app.domain.search_query import SearchKind
from mobile_app.epj.errors import Offline
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Status
from mobile_app.ui.viewmodels.patient import PatientState
from tests.support.app_sessions import sign_in
from tests.support.fake_epj import FakeClient, patient


async def logged_in(app: AppState) -> AppState:
    await sign_in(app, "lege1")
    return app


async def settle(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)


async def test_typing_searches_once_after_the_pause(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    for text in ("h", "ha", "han", "hans"):
        app.search.change(text)
    await settle()
    names = [arg for name, arg in client.calls if name == "name"]
    assert names == ["hans"]
    assert app.search.status is Status.READY
    assert app.search.results[0].family == "Hans"


async def test_a_stale_answer_never_overwrites_a_newer_one(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    app.search.debounce_seconds = 0
    client.delays["han"] = 0.3  # the first request is slow
    client.results["han"] = [patient("old", family="Hanssen")]
    client.results["hansen"] = [patient("new", family="Hansen")]
    app.search.change("han")
    await asyncio.sleep(0.05)
    app.search.change("hansen")
    await settle(0.5)
    assert [p.id for p in app.search.results] == ["new"]
    assert app.search.searched_text == "hansen"


async def test_an_invalid_identifier_is_explained_and_nothing_is_sent(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    before = len(client.calls)
    app.search.change("01018012346")  # check digits wrong
    await settle()
    assert app.search.kind is SearchKind.INVALID
    assert app.search.input_problem is not None
    assert app.search.input_problem.key == "search.invalid.invalid_identifier"
    assert app.search.input_problem.params["reason_key"].startswith("identifier.check_digit")
    assert len(client.calls) == before


async def test_identifier_and_birth_date_searches(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    app.search.change("04835012345")
    await settle()
    app.search.change("01.02.1950")
    await settle()
    kinds = [name for name, _ in client.calls if name in ("identifier", "birth_date")]
    assert kinds == ["identifier", "birth_date"] or kinds == ["birth_date"]


async def test_search_error_keeps_old_results_and_can_retry(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    app.search.change("hansen")
    await settle()
    assert app.search.results
    client.fail = Offline("down")
    await app.search.retry()
    assert app.search.status is Status.ERROR
    assert app.search.problem is not None and app.search.problem.key == "state.offline"
    assert app.search.results  # still shown, marked with the time they were fetched
    await app.search.retry()
    assert app.search.status is Status.READY


async def test_ward_list_loads_and_switches_ward(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    assert app.ward.ward_id == "ward-med"
    assert app.ward.occupied == 1 and len(app.ward.beds) == 2
    await app.ward.select("ward-kir")
    assert app.ward.shown_ward_id == "ward-kir"
    assert ("ward_list", "ward-kir") in client.calls


async def test_opening_a_patient_shows_the_banner_before_the_overview(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    client.delays["overview"] = 0.2
    summary = patient("p5", family="Berg")
    task = asyncio.get_running_loop().create_task(app.open_patient("p5", summary))
    await asyncio.sleep(0.05)
    screen = app.nav.top(PatientState)
    assert screen is not None and screen.patient is summary and screen.overview is None
    await task
    assert screen.overview is not None
    overview_calls = [c for c in client.calls if c[0] == "overview"]
    assert len(overview_calls) == 1
    await settle(0.05)
    assert ("remember_recent", "p5") in client.calls


async def test_no_access_then_break_the_glass(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    client.no_access.add("p7")
    screen = await app.open_patient("p7")
    assert screen.no_access
    assert screen.patient is not None  # the banner still says who it is
    screen.set_reason("akutt")
    assert not await screen.break_glass()
    assert screen.reason_problem is not None and screen.reason_problem.key == "access.reason_short"
    assert ("overview", ("p7", "akutt")) not in client.calls  # a short reason is never sent
    screen.set_reason("Hjertestans, trenger kritisk info")
    assert await screen.break_glass()
    assert not screen.no_access
    assert screen.emergency_until is not None
    assert ("overview", ("p7", "Hjertestans, trenger kritisk info")) in client.calls


async def test_a_reason_of_invisible_characters_is_refused_with_the_visible_count(
        app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    client.no_access.add("p7")
    screen = await app.open_patient("p7")
    invisible = "\u200b\x00\ufeff\u2060\u200d" * 4 + "akutt"
    screen.set_reason(invisible)
    assert not await screen.break_glass()
    problem = screen.reason_problem
    assert problem is not None and problem.key == "access.reason_short" and problem.params == {"count": 5}
    said = Messages("nb")(problem.key, **problem.params)
    assert "synes" in said and "5 nå" in said
    assert not [c for c in client.calls if c[0] == "overview" and c[1][1] is not None]  # nothing was sent
    screen.set_reason("akutt tilsyn")
    assert screen.reason_problem is None  # fixed as the user types
    assert await screen.break_glass()


async def test_back_closes_document_then_patient(app: AppState) -> None:
    await logged_in(app)
    screen = await app.open_patient("p1")
    screen.open_document("doc-1")
    assert app.nav.back() and app.nav.stack and screen.document_id is None
    assert app.nav.back() and not app.nav.stack
    assert not app.nav.back()


async def test_lost_connection_keeps_the_overview_with_its_time(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    screen = await app.open_patient("p1")
    fetched = screen.fetched_at
    client.fail = Offline("gone")
    await screen.load()
    assert screen.overview is not None and screen.fetched_at == fetched
    assert screen.problem is not None and screen.problem.key == "state.offline"
