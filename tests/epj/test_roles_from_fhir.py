"""The user's role comes from the EPJ's PractitionerRole.code (``PractitionerRole?practitioner=``);
the login (SMART on FHIR) names no role, so without a known one nothing clinical is offered."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from mobile_app.domain.models import Role
from mobile_app.epj import fhir, mapping
from mobile_app.epj.client import EpjClient
from mobile_app.epj.fhir import JSON
from mobile_app.epj.smart import Tokens
from mobile_app.epj.terminology import terms
from mobile_app.services.browser_login import SignedIn
from mobile_app.services.session import Session
from mobile_app.services.token_store import MemoryTokenStore
from tests.support.app_sessions import SESSION_PIN
from tests.support.epj_logins import Login
from tests.support.fake_epj import FakeClient, FakeTokenKeeper
from tests.support.mocked_http import BASE, outcome, searchset
from tests.support.mocked_http import fhir as answer

LE, SP, HF = ((fhir.HPR_CATEGORY, code) for code in ("LE", "SP", "HF"))


def practitioner_role(*codes: tuple[str, str], active: bool = True) -> JSON:
    return {"resourceType": "PractitionerRole", "id": "r1", "active": active,
            "practitioner": {"reference": "Practitioner/prac-1"},
            "code": [{"coding": [{"system": system, "code": code}]} for system, code in codes]}


@pytest.mark.parametrize(("codes", "role"), [
    ([LE], Role.DOCTOR), ([SP], Role.NURSE), ([HF], Role.HEALTH_WORKER),
    ([(fhir.PRACTITIONER_ROLE, "nurse")], Role.NURSE), ([(terms().staff_role.system, "auditor")], Role.AUDITOR),
    ([SP, LE], Role.DOCTOR),  # several roles: the one that may do most
    ([("urn:other", "LE")], None),  # a code counts only in its own system
])
def test_the_role_is_read_from_the_practitioner_role_code(codes: list[tuple[str, str]], role: Role | None) -> None:
    assert mapping.practitioner_role([practitioner_role(*codes)]) is role


def test_an_inactive_role_does_not_count() -> None:
    assert mapping.practitioner_role([practitioner_role(LE, active=False), practitioner_role(SP)]) is Role.NURSE


async def test_the_client_asks_for_my_practitioner_roles(api: respx.MockRouter, client: EpjClient) -> None:
    route = api.get(f"{BASE}/PractitionerRole").mock(return_value=answer(200, searchset(practitioner_role(SP))))
    assert await client.my_role("prac-1") is Role.NURSE
    url = route.calls[0].request.url
    assert url.path.endswith("/PractitionerRole")
    assert dict(parse_qsl(url.query.decode()))["practitioner"] == "Practitioner/prac-1"


def _signed_in() -> SignedIn:
    """A login made in the EPJ's page: the id_token names the clinician, never a role."""
    tokens = Tokens(access_token="tok", expires_at=time.time() + 3600, scope="openid fhirUser user/*.cruds",
                    practitioner_id="prac-1", name="Ingrid Solheim", username="spl1")
    return SignedIn(tokens, FakeTokenKeeper(FakeClient()))


async def test_the_session_takes_the_role_from_fhir(api: respx.MockRouter) -> None:
    api.get(f"{BASE}/PractitionerRole").mock(return_value=answer(200, searchset(practitioner_role(SP))))
    api.get(f"{BASE}/metadata").respond(404)  # no CapabilityStatement: nothing turned off
    session = Session(EpjClient(BASE), MemoryTokenStore())
    user = await session.begin(_signed_in(), SESSION_PIN)
    assert user.role is Role.NURSE


@pytest.mark.parametrize("fhir_answer", [
    answer(200, searchset()),  # no PractitionerRole the app knows
    answer(503, outcome("transient", "busy")),  # the EPJ cannot be asked
])
async def test_without_a_known_role_nothing_clinical_is_offered(api: respx.MockRouter,
                                                                fhir_answer: httpx.Response) -> None:
    api.get(f"{BASE}/PractitionerRole").mock(return_value=fhir_answer)
    api.get(f"{BASE}/metadata").respond(404)
    session = Session(EpjClient(BASE), MemoryTokenStore())
    assert (await session.begin(_signed_in(), SESSION_PIN)).role is Role.OTHER


@pytest.mark.parametrize(("username", "role"), [("lege1", Role.DOCTOR), ("spl1", Role.NURSE),
                                                 ("hfa1", Role.HEALTH_WORKER), ("revisor", Role.AUDITOR)])
async def test_the_mock_epj_gives_each_demo_user_a_role(login: Login, username: str, role: Role) -> None:
    session = await login(username)
    assert await session.client.my_role(session.practitioner_id) is role
