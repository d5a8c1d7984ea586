"""FHIR search over the seeded hospital: parameters, modifiers, paging, sorting, includes, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from mock_epj.searchparams import normalize_string
from mock_epj.terminology import FNR, GSRN
from tests.support.mock_server import Server, entries, inpatient, login, outcome_text

Clients = Callable[[str], httpx.Client]


def _identifier(patient: dict[str, Any], system: str) -> str:
    return str(next(i["value"] for i in patient["identifier"] if i["system"] == system))


@pytest.fixture
def lege1(client_for: Clients) -> httpx.Client:
    return client_for("lege1")


def _all_patients(client: httpx.Client) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    url: str | None = "Patient?_count=100"
    while url:
        bundle = client.get(url).json()
        out.extend(entries(bundle))
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    return out


def test_search_returns_a_searchset_with_total_and_links(lege1: httpx.Client) -> None:
    bundle = lege1.get("Patient", params={"_count": 5}).json()
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "searchset"
    assert bundle["total"] == 300
    assert len(bundle["entry"]) == 5
    relations = {link["relation"] for link in bundle["link"]}
    assert {"self", "next"} <= relations
    assert all(e["fullUrl"].endswith(f"Patient/{e['resource']['id']}") for e in bundle["entry"])


def test_paging_walks_every_patient_exactly_once(lege1: httpx.Client) -> None:
    patients = _all_patients(lege1)
    ids = [p["id"] for p in patients]
    assert len(ids) == 300
    assert len(set(ids)) == 300


def test_count_defaults_to_20_and_is_capped_at_100(lege1: httpx.Client) -> None:
    assert len(lege1.get("Patient").json()["entry"]) == 20
    assert len(lege1.get("Patient", params={"_count": 500}).json()["entry"]) == 100


def test_name_search_is_a_case_insensitive_prefix_match(lege1: httpx.Client) -> None:
    patient = lege1.get("Patient", params={"_count": 1}).json()["entry"][0]["resource"]
    family = patient["name"][0]["family"]
    prefix = family[:3].upper()
    found = entries(lege1.get("Patient", params={"name": prefix, "_count": 100}).json())
    assert patient["id"] in {p["id"] for p in found}
    for p in found:
        names = [w for n in p["name"] for w in [n.get("family", ""), *n.get("given", [])]]
        parts = [normalize_string(w) for name in names for w in [name, *name.replace("-", " ").split()]]
        assert any(part.startswith(normalize_string(prefix)) for part in parts)


def test_name_search_handles_norwegian_letters(lege1: httpx.Client) -> None:
    patients = _all_patients(lege1)
    with_letter = [p for p in patients if any(c in "æøåÆØÅ" for n in p["name"]
                                               for c in n.get("family", "") + "".join(n.get("given", [])))]
    assert with_letter, "the seed should contain names with æ, ø or å"
    target = with_letter[0]
    word = next(w for n in target["name"] for w in [n.get("family", ""), *n.get("given", [])]
                if any(c in "æøåÆØÅ" for c in w))
    for query in (word.lower(), word.upper()):
        found = entries(lege1.get("Patient", params={"name": query, "_count": 100}).json())
        assert target["id"] in {p["id"] for p in found}
    # ø is a letter of its own, not an o with a stroke to be stripped
    plain = word.replace("ø", "o").replace("Ø", "O").replace("å", "a").replace("Å", "A") \
        .replace("æ", "ae").replace("Æ", "Ae")
    found = entries(lege1.get("Patient", params={"name": plain, "_count": 100}).json())
    assert target["id"] not in {p["id"] for p in found}


def test_repeated_name_parameters_must_all_match(lege1: httpx.Client) -> None:
    patient = lege1.get("Patient", params={"_count": 1}).json()["entry"][0]["resource"]
    family, given = patient["name"][0]["family"], patient["name"][0]["given"][0]
    found = entries(lege1.get("Patient", params=[("name", family), ("name", given)]).json())
    assert patient["id"] in {p["id"] for p in found}
    for p in found:
        text = " ".join([p["name"][0]["family"], *p["name"][0]["given"]]).lower()
        assert family.lower()[:3] in text


def test_identifier_search_finds_exactly_one_patient(lege1: httpx.Client) -> None:
    patient = lege1.get("Patient", params={"_count": 1, "_offset": 7}).json()["entry"][0]["resource"]
    for system in (FNR, GSRN):
        if not any(i["system"] == system for i in patient["identifier"]):
            continue
        value = _identifier(patient, system)
        bundle = lege1.get("Patient", params={"identifier": f"{system}|{value}"}).json()
        assert bundle["total"] == 1
        assert bundle["entry"][0]["resource"]["id"] == patient["id"]
        # the value alone matches in any system
        assert lege1.get("Patient", params={"identifier": value}).json()["total"] == 1
    assert lege1.get("Patient", params={"identifier": f"{FNR}|00000000000"}).json()["total"] == 0


def test_birthdate_search_with_prefixes(lege1: httpx.Client) -> None:
    patients = _all_patients(lege1)
    birth = patients[0]["birthDate"]
    exact = entries(lege1.get("Patient", params={"birthdate": birth, "_count": 100}).json())
    assert exact and all(p["birthDate"] == birth for p in exact)
    year = birth[:4]
    expected_ge = sum(1 for p in patients if p["birthDate"] >= f"{year}-01-01")
    assert lege1.get("Patient", params={"birthdate": f"ge{year}"}).json()["total"] == expected_ge
    expected_lt = sum(1 for p in patients if p["birthDate"] < f"{year}-01-01")
    assert lege1.get("Patient", params={"birthdate": f"lt{year}"}).json()["total"] == expected_lt
    both = lege1.get("Patient", params=[("birthdate", f"ge{year}-01-01"),
                                        ("birthdate", f"le{year}-12-31")]).json()["total"]
    assert both == sum(1 for p in patients if p["birthDate"][:4] == year)


def test_bad_parameter_values_are_400(lege1: httpx.Client) -> None:
    response = lege1.get("Patient", params={"birthdate": "notadate"})
    assert response.status_code == 400
    assert "notadate" in outcome_text(response)
    assert lege1.get("Patient", params={"_count": "many"}).status_code == 400
    assert lege1.get("Patient", params={"_count": "-1"}).status_code == 400
    assert lege1.get("Patient", params={"gender:fuzzy": "male"}).status_code == 400


def test_unknown_parameters_are_ignored_and_left_out_of_the_self_link(lege1: httpx.Client) -> None:
    bundle = lege1.get("Patient", params={"favourite-colour": "blue", "gender": "female"}).json()
    self_link = next(link["url"] for link in bundle["link"] if link["relation"] == "self")
    query = parse_qs(urlsplit(self_link).query)
    assert "favourite-colour" not in query
    assert query["gender"] == ["female"]
    assert all(p["gender"] == "female" for p in entries(bundle))


def test_unknown_parameters_are_400_when_strict(lege1: httpx.Client) -> None:
    response = lege1.get("Patient", params={"favourite-colour": "blue"},
                         headers={"Prefer": "handling=strict"})
    assert response.status_code == 400
    assert "favourite-colour" in outcome_text(response)


def test_observations_sorted_newest_first(lege1: httpx.Client) -> None:
    ward_patient = inpatient(lege1)
    bundle = lege1.get("Observation", params={"patient": ward_patient, "category": "laboratory",
                                              "_sort": "-date", "_count": 50}).json()
    times = [o["effectiveDateTime"] for o in entries(bundle)]
    assert len(times) > 5
    assert times == sorted(times, reverse=True)
    ascending = lege1.get("Observation", params={"patient": ward_patient, "category": "laboratory",
                                                 "_sort": "date", "_count": 50}).json()
    assert [o["effectiveDateTime"] for o in entries(ascending)] == sorted(
        o["effectiveDateTime"] for o in entries(ascending))




def test_elements_cut_the_matches_to_what_was_asked_and_say_so(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    params: dict[str, str | int] = {"patient": patient, "category": "laboratory", "_sort": "-date", "_count": 50}
    whole = entries(lege1.get("Observation", params=params).json())
    bundle = lege1.get("Observation", params={**params, "_elements": "subject,value"}).json()
    cut = entries(bundle)
    assert [o["id"] for o in cut] == [o["id"] for o in whole]
    assert any("referenceRange" in o for o in whole)
    for full, part in zip(whole, cut, strict=True):
        # Asked for (value[x] under whichever name), mandatory (status, code) and always kept.
        kept = {k for k in full if k in ("resourceType", "id", "subject", "status", "code")
                or k.startswith("value")}
        assert set(part) == kept | {"meta"}
        assert {k: part[k] for k in kept} == {k: full[k] for k in kept}
        assert {"code": "SUBSETTED"}.items() <= part["meta"]["tag"][-1].items()
    assert "_elements=subject%2Cvalue" in bundle["link"][0]["url"]


def test_elements_leave_included_resources_whole(lege1: httpx.Client) -> None:
    bundle = lege1.get("Encounter", params={"location": "Location/ward-med", "status": "in-progress",
                                            "_include": "Encounter:patient", "_elements": "subject",
                                            "_count": 5}).json()
    assert all(set(e) <= {"resourceType", "id", "meta", "subject", "status", "class"}
               for e in entries(bundle, "match"))
    patients = entries(bundle, "include")
    assert patients and all("name" in p and "identifier" in p for p in patients)


def test_token_search_by_system_and_code(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    nlk = "http://helsedir.no/fhir/CodeSystem/no-kodeverk-7280-nlk"
    crp = lege1.get("Observation", params={"patient": patient, "code": f"{nlk}|NPU19748"}).json()
    assert crp["total"] > 0
    assert all(any(c["code"] == "NPU19748" for c in o["code"]["coding"]) for o in entries(crp))
    wrong_system = lege1.get("Observation", params={"patient": patient, "code": "http://x|NPU19748"})
    assert wrong_system.json()["total"] == 0
    negated = lege1.get("Observation", params={"patient": patient, "category": "laboratory",
                                               "code:not": "NPU19748", "_count": 100}).json()
    assert all(not any(c["code"] == "NPU19748" for c in o["code"]["coding"]) for o in entries(negated))


def test_or_values_with_commas(lege1: httpx.Client) -> None:
    bundle = lege1.get("Encounter", params={"status": "in-progress,finished", "_count": 0}).json()
    in_progress = lege1.get("Encounter", params={"status": "in-progress", "_count": 0}).json()["total"]
    finished = lege1.get("Encounter", params={"status": "finished", "_count": 0}).json()["total"]
    assert bundle["total"] == in_progress + finished


def test_summary_count_returns_only_the_total(lege1: httpx.Client) -> None:
    bundle = lege1.get("Patient", params={"_summary": "count"}).json()
    assert bundle["total"] == 300
    assert "entry" not in bundle


def test_include_brings_the_referenced_patients(lege1: httpx.Client) -> None:
    bundle = lege1.get("Encounter", params={"location": "Location/ward-med", "status": "in-progress",
                                            "_include": "Encounter:patient", "_count": 100}).json()
    encounters = entries(bundle, "match")
    patients = {p["id"] for p in entries(bundle, "include")}
    assert encounters
    assert {e["subject"]["reference"].split("/")[1] for e in encounters} == patients


def test_revinclude_brings_encounters_of_patients(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    bundle = lege1.get("Patient", params={"_id": patient, "_revinclude": "Encounter:patient"}).json()
    included = entries(bundle, "include")
    assert any(e["resourceType"] == "Encounter" and e["status"] == "in-progress" for e in included)


def test_post_search_takes_form_parameters(lege1: httpx.Client) -> None:
    response = lege1.post("Patient/_search", data={"gender": "male", "_count": "3"})
    assert response.status_code == 200
    bundle = response.json()
    assert len(bundle["entry"]) == 3
    assert all(p["gender"] == "male" for p in entries(bundle))
    wrong_type = lege1.post("Patient/_search", content=b'{"gender": "male"}',
                            headers={"Content-Type": "application/json"})
    assert wrong_type.status_code == 415


def test_search_of_an_unknown_type_is_404(lege1: httpx.Client) -> None:
    response = lege1.get("Spaceship")
    assert response.status_code == 404
    assert "Spaceship" in outcome_text(response)


def test_location_hierarchy_by_partof(lege1: httpx.Client) -> None:
    rooms = entries(lege1.get("Location", params={"partof": "Location/ward-med", "_count": 100}).json())
    assert rooms
    beds = entries(lege1.get("Location", params={"partof": rooms[0]["id"], "_count": 100}).json())
    assert beds
    assert all(b["partOf"]["reference"] == f"Location/{rooms[0]['id']}" for b in beds)


def test_practitioner_roles_list_the_wards(lege1: httpx.Client) -> None:
    token = httpx.post(lege1.base_url.copy_with(path="/auth/token"),
                       json={"username": "lege1", "pin": "1234"}).json()
    bundle = lege1.get("PractitionerRole", params={"practitioner": token["practitioner"],
                                                   "_include": "PractitionerRole:location"}).json()
    wards = {loc["id"] for loc in entries(bundle, "include")}
    assert "ward-med" in wards


def test_kept_driver_estimates_never_change_what_a_search_finds(server: Server) -> None:
    """count_upto's counts are kept a while and decide only which criterion drives a search: wrong
    counts (as stale ones may be) give the same matches, and a row written since is found."""
    client = login(server.url, "lege1")
    patient = inpatient(client)
    searches = [
        {"patient": patient, "category": "vital-signs", "_sort": "-date", "_count": "100"},
        {"category": "laboratory", "date": "ge2000-01-01", "_sort": "-date", "_count": "1000"},
        {"patient": patient, "category": "laboratory", "date": "ge2000-01-01", "_count": "100"},
    ]

    def found() -> list[tuple[int, list[str]]]:
        answers = [client.get("Observation", params=params).json() for params in searches]
        return [(bundle["total"], [r["id"] for r in entries(bundle)]) for bundle in answers]

    queries = server.epj.store.queries
    queries._estimates.clear()
    honest = found()
    assert queries._estimates, "the searches were estimated"
    assert all(total for total, _ in honest)
    for wrong in (0, 1, 999, 10**9):
        for key, (until, _) in list(queries._estimates.items()):
            queries._estimates[key] = (until, wrong)
        assert found() == honest, f"every estimate {wrong}"
    for key, (until, _) in list(queries._estimates.items()):
        queries._estimates[key] = (until, 0)
    note = {"resourceType": "Observation", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "vital-signs"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "subject": {"reference": f"Patient/{patient}"}, "effectiveDateTime": "2099-01-01T00:00:00Z",
            "valueQuantity": {"value": 72, "unit": "/min"}}
    created = client.post("Observation", json=note)
    assert created.status_code == 201, created.text
    total, ids = found()[0]
    assert total == honest[0][0] + 1 and ids[0] == created.json()["id"]
    client.close()
