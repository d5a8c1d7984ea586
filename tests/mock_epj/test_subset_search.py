"""A subsetted resource (an Encounter seen without a care relation, the auditor's view of stays) is
searched, sorted and followed with _include only by what its subset shows (issue 12).

The parameters come from the search-parameter table, so a new one is covered without a change
here; what the subset shows comes from the server's own subset of the stay, indexed as the store
indexes it: a search by a stay as the user sees it must answer as if that were all there was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mock_epj.guard import subset
from mock_epj.searchparams import COMMON_PARAMS, RESOURCES, ParamType, SearchParam, index_rows
from mock_epj.terminology import SUBSETTED_TAG
from tests.support.database import SeedData
from tests.support.mock_server import Server, entries, login

ENCOUNTER_PARAMS = sorted({**RESOURCES["Encounter"].params, **COMMON_PARAMS}.items())
OUTSIDERS = ("lege2", "revisor")  # lege2 works on another ward; the auditor has no clinical access


@pytest.fixture(scope="module")
def clients(shared_server: Server) -> Iterator[dict[str, httpx.Client]]:
    made = {name: login(shared_server.url, name) for name in ("lege1", *OUTSIDERS)}
    yield made
    for client in made.values():
        client.close()


@pytest.fixture(scope="module")
def stay(shared_server: Server) -> dict[str, Any]:
    """A current stay on the medical ward, with reasons and staff, that lege2 sees subsetted."""
    stays = [e for e in SeedData(shared_server.epj.config.db).stays_on("ward-med")
             if e.get("reasonCode") and e.get("participant")]
    return stays[0]


def _values(param: SearchParam, resource: dict[str, Any]) -> list[str]:
    """Query values that match ``resource`` by ``param``, as the store indexes it."""
    strings, tokens, dates, refs = index_rows({**resource, "meta": resource.get("meta", {})})
    if param.type is ParamType.STRING:
        return [v for p, v in strings if p == param.name]
    if param.type is ParamType.TOKEN:
        return [f"{s}|{c}" if s else c for p, s, c in tokens if p == param.name]
    if param.type is ParamType.DATE:
        return [f"ge{lo[:10]}" for p, lo, _ in dates if p == param.name]
    return [r for p, r in refs if p == param.name]


def _ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {e["id"] for e in entries(response.json())}


@pytest.mark.parametrize("user", OUTSIDERS)
@pytest.mark.parametrize(("name", "param"), ENCOUNTER_PARAMS, ids=[n for n, _ in ENCOUNTER_PARAMS])
def test_a_subsetted_stay_matches_only_by_what_the_subset_shows(
        clients: dict[str, httpx.Client], stay: dict[str, Any], user: str, name: str, param: SearchParam) -> None:
    client = clients[user]
    shown = subset(json.dumps(stay))
    full_values = _values(param, stay)
    shown_values = set(_values(param, shown))
    for value in full_values:
        found = _ids(client.get("Encounter", params={"_id": stay["id"], name: value}))
        expected = {stay["id"]} if value in shown_values else set()
        assert found == expected, f"{name}={value} answers by what {user} may not see"
    # :missing answers as for the subset too: by a hidden element, neither way finds the stay.
    for missing in ("true", "false"):
        found = _ids(client.get("Encounter", params={"_id": stay["id"], f"{name}:missing": missing}))
        if name == "_id" or shown_values:
            continue  # shown: whichever is true of the subset matches
        assert found == set(), f"{name}:missing={missing} answers by what {user} may not see"


@pytest.mark.parametrize("user", OUTSIDERS)
def test_hidden_parameters_answer_the_same_whether_they_match_or_not(
        clients: dict[str, httpx.Client], stay: dict[str, Any], user: str) -> None:
    client = clients[user]
    patient = stay["subject"]["reference"]
    staff = stay["participant"][0]["individual"]["reference"]
    code = stay["reasonCode"][0]["coding"][0]
    for params in ({"reason-code": f"{code['system']}|{code['code']}"}, {"participant": staff}):
        other = {k: "nobody-at-all" for k in params}
        for query in ({"patient": patient}, {"_id": stay["id"]}):
            matching = client.get("Encounter", params={**query, **params})
            missing = client.get("Encounter", params={**query, **other})
            assert matching.status_code == missing.status_code
            if matching.status_code == 200:
                assert matching.json()["total"] == missing.json()["total"] == 0


def test_the_auditor_cannot_find_who_has_a_diagnosis(clients: dict[str, httpx.Client], stay: dict[str, Any]) -> None:
    code = stay["reasonCode"][0]["coding"][0]
    bundle = clients["revisor"].get("Encounter", params={
        "reason-code": f"{code['system']}|{code['code']}", "_include": "Encounter:patient"}).json()
    assert bundle["total"] == 0
    assert entries(bundle) == []


@pytest.mark.parametrize("user", OUTSIDERS)
@pytest.mark.parametrize("include", RESOURCES["Encounter"].includes)
def test_includes_from_a_subsetted_stay_follow_only_what_it_shows(
        clients: dict[str, httpx.Client], stay: dict[str, Any], user: str, include: str) -> None:
    param = RESOURCES["Encounter"].params[include.split(":")[1]]
    allowed = set(_values(param, subset(json.dumps(stay))))
    bundle = clients[user].get("Encounter", params={"_id": stay["id"], "_include": include}).json()
    assert [e["id"] for e in entries(bundle, "match")] == [stay["id"]]
    assert SUBSETTED_TAG["code"] in [t["code"] for t in entries(bundle, "match")[0]["meta"]["tag"]]
    included = {f"{e['resourceType']}/{e['id']}" for e in entries(bundle, "include")}
    assert included <= allowed, f"_include={include} shows what {user} may not see"


@pytest.mark.parametrize("user", OUTSIDERS)
def test_include_iterate_does_not_reach_the_hidden_staff(
        clients: dict[str, httpx.Client], stay: dict[str, Any], user: str) -> None:
    patient = stay["subject"]["reference"].split("/")[1]
    bundle = clients[user].get("Patient", params={
        "_id": patient, "_revinclude": "Encounter:patient", "_include:iterate": "Encounter:participant"}).json()
    assert stay["id"] in {e["id"] for e in entries(bundle, "include")}  # where the patient lies
    assert not [e for e in entries(bundle, "include") if e["resourceType"] == "Practitioner"]


@pytest.mark.parametrize("user", OUTSIDERS)
@pytest.mark.parametrize("sort", RESOURCES["Encounter"].sorts)
def test_sorting_subsetted_stays_by_a_shown_element_still_shows_them(
        clients: dict[str, httpx.Client], stay: dict[str, Any], user: str, sort: str) -> None:
    param = RESOURCES["Encounter"].params[sort]
    shown = bool(_values(param, subset(json.dumps(stay))))
    found = _ids(clients[user].get("Encounter", params={"_id": stay["id"], "_sort": sort}))
    assert found == ({stay["id"]} if shown else set())


def test_the_care_team_still_searches_by_everything(clients: dict[str, httpx.Client], stay: dict[str, Any]) -> None:
    code = stay["reasonCode"][0]["coding"][0]
    staff = stay["participant"][0]["individual"]["reference"]
    found = _ids(clients["lege1"].get("Encounter", params={
        "_id": stay["id"], "reason-code": f"{code['system']}|{code['code']}", "participant": staff}))
    assert found == {stay["id"]}
    bundle = clients["lege1"].get("Encounter", params={"_id": stay["id"], "_include": "Encounter:participant"}).json()
    assert staff in {f"Practitioner/{e['id']}" for e in entries(bundle, "include")}
