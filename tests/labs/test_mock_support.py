"""What the mock EPJ gained for the lab tab: larger Observation pages, ``_include:iterate``, the
``signed-by`` search parameter and the rule that one signs only in one's own name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.epj.conftest import SeedData
from tests.mock_epj.conftest import Server, entries, login

SIGNED_BY = "https://visitt.example.no/fhir/StructureDefinition/signed-by"


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


def test_signed_by_finds_signed_and_unsigned_results_and_is_advertised(write_server: Server,
                                                                       ward_patients: list[str]) -> None:
    with login(write_server.url, "lege1") as lege1:
        me = httpx.post(f"{write_server.url}/auth/token", json={"username": "lege1", "pin": "1234"}).json()
        target = lege1.get("Observation", params={"patient": ward_patients[1], "category": "laboratory",
                                                  "_count": 1}).json()["entry"][0]["resource"]
        target["extension"] = [{"url": SIGNED_BY, "valueReference": {"reference": me["practitioner"]}}]
        assert lege1.put(f"Observation/{target['id']}", json=target).status_code == 200
        signed = lege1.get("Observation", params={"patient": ward_patients[1], "signed-by": me["practitioner"]}).json()
        assert [r["id"] for r in entries(signed)] == [target["id"]]
        unsigned = lege1.get("Observation", params={"patient": ward_patients[1], "signed-by:missing": "true",
                                                    "_count": 1000}).json()
        assert target["id"] not in {r["id"] for r in entries(unsigned)} and unsigned["total"] > 0
    capability = httpx.get(f"{write_server.fhir}/metadata").json()
    observation = next(r for r in capability["rest"][0]["resource"] if r["type"] == "Observation")
    assert "signed-by" in {p["name"] for p in observation["searchParam"]}


def test_a_signature_in_someone_elses_name_is_refused_but_may_stay_when_others_edit(
        write_server: Server, ward_patients: list[str]) -> None:
    with login(write_server.url, "lege1") as lege1, login(write_server.url, "spl1") as spl1:
        target = lege1.get("Observation", params={"patient": ward_patients[1], "category": "laboratory",
                                                  "_count": 1}).json()["entry"][0]["resource"]
        target["extension"] = [{"url": SIGNED_BY, "valueReference": {"reference": "Practitioner/prac-002"}}]
        refused = spl1.put(f"Observation/{target['id']}", json=target)
        assert refused.status_code == 403 and "own name" in refused.text
        mine = httpx.post(f"{write_server.url}/auth/token", json={"username": "lege1", "pin": "1234"}).json()
        target["extension"] = [{"url": SIGNED_BY, "valueReference": {"reference": mine["practitioner"]}}]
        stored = lege1.put(f"Observation/{target['id']}", json=target).json()
        stored["note"] = [{"text": "Kommentar fra sykepleier"}]
        assert spl1.put(f"Observation/{target['id']}", json=stored).status_code == 200  # lege1's signature stays
