"""What the mock EPJ gained for the lab tab: larger Observation pages, ``_include:iterate``, and
signatures as standard Provenances found with ``_revinclude`` (no search parameter of its own)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.database import SeedData
from tests.support.mock_server import Server, entries, login


@pytest.fixture(scope="module")
def lege1(lab_server: Server) -> Iterator[httpx.Client]:
    with login(lab_server.url, "lege1") as client:
        yield client


def micro_patient(seed: SeedData, ward_patients: list[str]) -> dict[str, Any]:
    """A ward-med microbiology report whose organism result has a susceptibility table."""
    return next(r for r in seed.of("DiagnosticReport") if r["category"][0]["coding"][0]["code"] == "MB"
                and r["subject"]["reference"].split("/")[1] in ward_patients
                and "hasMember" in seed.read("Observation", r["result"][0]["reference"].split("/")[1]))


def test_observation_pages_hold_up_to_a_thousand_and_other_types_a_hundred(
        lege1: httpx.Client, long_patient: str) -> None:
    observations = lege1.get("Observation", params={"patient": long_patient, "_count": 5000}).json()
    assert len(observations["entry"]) == 1000
    assert "_count=1000" in next(link["url"] for link in observations["link"] if link["relation"] == "next")
    reports = lege1.get("DiagnosticReport", params={"_count": 5000}).json()
    assert len(reports["entry"]) <= 100


@pytest.mark.parametrize("strict", [False, True])
def test_include_iterate_brings_the_members_of_included_results(
        lege1: httpx.Client, seed: SeedData, ward_patients: list[str], strict: bool) -> None:
    report = micro_patient(seed, ward_patients)
    organism = seed.read("Observation", report["result"][0]["reference"].split("/")[1])
    params = [("_id", report["id"]), ("_include", "DiagnosticReport:result"),
              ("_include", "DiagnosticReport:specimen"), ("_include:iterate", "Observation:has-member")]
    headers = {"Prefer": "handling=strict"} if strict else {}
    bundle = lege1.get("DiagnosticReport", params=params, headers=headers).json()
    found = {f"{r['resourceType']}/{r['id']}" for r in entries(bundle, "include")}
    assert found == {f"Observation/{organism['id']}", *(m["reference"] for m in organism["hasMember"]),
                     report["specimen"][0]["reference"]}
    assert "_include%3Aiterate=Observation%3Ahas-member" in bundle["link"][0]["url"]


def test_without_iterate_the_members_are_not_included(
        lege1: httpx.Client, seed: SeedData, ward_patients: list[str]) -> None:
    report = micro_patient(seed, ward_patients)
    bundle = lege1.get("DiagnosticReport", params=[("_id", report["id"]),
                                                   ("_include", "DiagnosticReport:result")]).json()
    assert [r["resourceType"] for r in entries(bundle, "include")] == ["Observation"]


def test_an_unknown_iterate_include_is_ignored_or_refused_when_strict(lege1: httpx.Client) -> None:
    params = {"_include:iterate": "Observation:nonsense", "_count": "1"}
    assert lege1.get("DiagnosticReport", params=params).status_code == 200
    assert lege1.get("DiagnosticReport", params=params, headers={"Prefer": "handling=strict"}).status_code == 400


def test_signatures_are_provenances_found_by_revinclude_and_advertised(write_server: Server,
                                                                        ward_patients: list[str]) -> None:
    capability = httpx.get(f"{write_server.fhir}/metadata").json()
    by_type = {r["type"]: r for r in capability["rest"][0]["resource"]}
    assert "Provenance:target" in by_type["Observation"]["searchRevInclude"]
    assert "signed-by" not in {p["name"] for p in by_type["Observation"]["searchParam"]}
    assert {i["code"] for i in by_type["Provenance"]["interaction"]} == {"read", "vread", "search-type", "create"}
    assert {"target", "patient", "agent"} <= {p["name"] for p in by_type["Provenance"]["searchParam"]}
    with login(write_server.url, "lege1") as lege1:
        strict = lege1.get("Observation", params={"signed-by:missing": "true"}, headers={"Prefer": "handling=strict"})
        assert strict.status_code == 400  # the mock-only parameter is gone
        target = lege1.get("Observation", params={"patient": ward_patients[1], "category": "laboratory",
                                                  "_count": 1}).json()["entry"][0]["resource"]
        me = httpx.post(f"{write_server.url}/auth/token", json={"username": "lege1", "pin": "1234"}).json()
        signature = {"resourceType": "Provenance", "recorded": "2026-01-01T00:00:00Z",
                     "target": [{"reference": f"Observation/{target['id']}/_history/1"}],
                     "agent": [{"who": {"reference": me["practitioner"]}}]}
        assert lege1.post("Provenance", json=signature).status_code == 201
        found = lege1.get("Observation", params={"patient": ward_patients[1], "category": "laboratory",
                                                 "_revinclude": "Provenance:target", "_count": 1000}).json()
        [provenance] = entries(found, "include")
        assert provenance["target"] == signature["target"]
