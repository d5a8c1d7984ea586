"""The capability check (mobile_app/epj/capabilities.py): the app reads the server's
CapabilityStatement and turns off what the server cannot do, saying so on My patients; what a
server does not announce is turned off, and a statement that cannot be read turns nothing off."""

from __future__ import annotations

import copy
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import respx

from mobile_app.domain.models import Role
from mobile_app.domain.roles import Action
from mobile_app.epj.capabilities import EVERYTHING, NEEDS, support_from
from mobile_app.epj.client import EpjClient
from mobile_app.epj.smart import Tokens
from mobile_app.services.browser_login import SignedIn
from mobile_app.services.session import Session
from mobile_app.services.token_store import MemoryTokenStore
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.my_patients import MyPatientsScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import AppContext
from tests.support.app_sessions import SESSION_PIN, sign_in
from tests.support.clocks import MonotonicClock
from tests.support.fake_epj import FakeClient, FakeTokenKeeper
from tests.support.mock_server import Server
from tests.support.mocked_http import BASE
from tests.support.screens import render, texts


@pytest_asyncio.fixture
async def mock_statement(epj_server: Server) -> AsyncIterator[dict[str, Any]]:
    """The mock EPJ's own statement (in each mode), as the app reads it."""
    yield httpx.get(f"{epj_server.fhir}/metadata", headers={"Accept": "application/fhir+json"}).json()


async def test_the_mock_supports_everything_the_app_does(epj_server: Server) -> None:
    client = EpjClient(epj_server.fhir)
    try:
        support = await client.server_support()
    finally:
        await client.aclose()
    assert dict(support.missing) == {}
    assert all(support.allows(action) for action in NEEDS)


def _without(statement: dict[str, Any], resource: str, *, interaction: str | None = None,
             revinclude: str | None = None) -> dict[str, Any]:
    changed = copy.deepcopy(statement)
    rest = changed["rest"][0]
    if resource == "system":
        rest["interaction"] = [i for i in rest["interaction"] if i["code"] != interaction]
        return changed
    for entry in list(rest["resource"]):
        if entry["type"] != resource:
            continue
        if interaction is None and revinclude is None:
            rest["resource"].remove(entry)
        elif interaction is not None:
            entry["interaction"] = [i for i in entry["interaction"] if i["code"] != interaction]
        else:
            entry["searchRevInclude"] = [r for r in entry["searchRevInclude"] if r != revinclude]
    return changed


@pytest.mark.parametrize(("resource", "interaction", "revinclude", "off"), [
    ("Observation", None, "Provenance:target", {Action.SIGN_RESULTS}),
    ("Provenance", "create", None, {Action.SIGN_RESULTS}),
    ("system", "transaction", None, {Action.SIGN_RESULTS, Action.RECORD_VITAL_SIGNS, Action.ASSESS_THROMBOSIS_RISK}),
    ("Task", "update", None, {Action.CHANGE_TASK_STATUS}),
    ("Appointment", None, None, {Action.REGISTER_ARRIVAL}),
    ("Flag", "update", None, {Action.EDIT_WARD_NOTE, Action.EDIT_OWN_NOTE, Action.CHOOSE_SPO2_SCALE}),
    ("Communication", "create", None, {Action.SEND_MESSAGE}),
    ("DocumentReference", "create", None, {Action.WRITE_JOURNAL_NOTE}),
    ("RiskAssessment", None, None, {Action.ASSESS_THROMBOSIS_RISK}),
])
async def test_what_a_server_does_not_announce_is_turned_off(mock_statement: dict[str, Any], resource: str,
                                                             interaction: str | None, revinclude: str | None,
                                                             off: set[Action]) -> None:
    support = support_from(_without(mock_statement, resource, interaction=interaction, revinclude=revinclude))
    assert set(support.missing) == off
    for action in off:
        assert not support.allows(action) and support.missing[action]  # and it says what is missing


@pytest.mark.parametrize("statement", [
    None, [], "CapabilityStatement", {"resourceType": "Patient"}, {"resourceType": "CapabilityStatement"},
    {"resourceType": "CapabilityStatement", "rest": [{"mode": "client", "resource": []}]},
])
def test_a_statement_that_cannot_be_read_turns_nothing_off(statement: Any) -> None:
    assert support_from(statement) is EVERYTHING


async def test_an_unreadable_metadata_turns_nothing_off_and_the_login_goes_on() -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as api:
        api.get("/PractitionerRole").respond(json={"resourceType": "Bundle", "type": "searchset", "entry": []})
        api.get("/metadata").respond(500, text="down")
        client = EpjClient(BASE)
        session = Session(client, MemoryTokenStore())
        tokens = Tokens(access_token="t", expires_at=time.time() + 3600, scope="openid fhirUser user/*.cruds",
                        practitioner_id="p1", name="Kari")
        await session.begin(SignedIn(tokens, FakeTokenKeeper(FakeClient())), SESSION_PIN)
        await client.aclose()
    assert session.support is EVERYTHING and session.user is not None


async def test_my_patients_says_what_is_turned_off_and_the_actions_are_not_offered() -> None:
    client = FakeClient()
    client.role = Role.DOCTOR
    client.support = support_from(_without(_minimal_statement(), "Provenance", interaction="create"))
    session = Session(client, MemoryTokenStore(), idle_seconds=300, clock=MonotonicClock())
    app = AppState(AppContext(client=client, session=session))
    await sign_in(app, "lege1")
    assert not app.ctx.may(Action.SIGN_RESULTS) and app.ctx.may(Action.WRITE_JOURNAL_NOTE)
    assert app.ctx.turned_off() == [Action.SIGN_RESULTS]
    t = Messages("nb")
    shown = " ".join(texts(render(MyPatientsScreen, app, app.my, t)))
    assert t("my.turned_off", actions=t("action.sign_results")) in shown
    client.support = EVERYTHING  # a server that can: nothing to say
    await app.ctx.session.logout()
    await sign_in(app, "lege1")
    assert app.ctx.may(Action.SIGN_RESULTS) and app.ctx.turned_off() == []
    assert "Slått av" not in " ".join(texts(render(MyPatientsScreen, app, app.my, t)))


def _minimal_statement() -> dict[str, Any]:
    """A statement announcing exactly what NEEDS lists."""
    resources: dict[str, dict[str, Any]] = {}
    for needs in NEEDS.values():
        for need in needs:
            if need.resource is None:
                continue
            entry = resources.setdefault(need.resource, {"type": need.resource, "interaction": [],
                                                         "searchRevInclude": []})
            if {"code": need.interaction} not in entry["interaction"]:
                entry["interaction"].append({"code": need.interaction})
            if need.revinclude:
                entry["searchRevInclude"].append(need.revinclude)
    return {"resourceType": "CapabilityStatement", "rest": [{
        "mode": "server", "resource": list(resources.values()), "interaction": [{"code": "transaction"}]}]}


def test_the_minimal_statement_supports_everything() -> None:
    assert dict(support_from(_minimal_statement()).missing) == {}
