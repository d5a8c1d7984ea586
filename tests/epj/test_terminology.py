"""The terminology profile: the shipped one names what the mock EPJ serves, a bad one is refused with
the file and the key named, and a hospital's profile changes what the client sends and reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import respx

from mobile_app.domain.models import LabGroup
from mobile_app.domain.writing import PROGRESS_NOTE, NoteDraft
from mobile_app.epj import clinical, labs, mapping, terminology, write_mapping
from mobile_app.epj.client import EpjClient, overview_queries
from mobile_app.epj.terminology import Terminology, TerminologyError, terms
from mock_epj import terminology as mock
from mock_epj.seed.documents import DOCUMENT_TYPES
from mock_epj.seed.labs import ANALYTES as SEEDED_ANALYTES
from mock_epj.write_rules import HEALTH_WORKER_NOTE_TYPES
from tests.support.database import SeedData
from tests.support.mocked_http import BASE, fhir, searchset, sent_json

DEFAULT = terminology.load()
DEFAULT_TEXT = (Path(terminology.__file__).parent / terminology.DEFAULT_FILE).read_text(encoding="utf-8")
HOSPITAL_BASE = "https://fhir.sykehuset.example/kodeverk"


# ------------------------------------------------------------------ the default is the mock's


def test_the_shipped_profile_is_the_default() -> None:
    assert terms() == DEFAULT
    assert DEFAULT.name == "Visitt mock EPJ"


@pytest.mark.parametrize(("ours", "mocks"), [
    (DEFAULT.critical_information.system, mock.CRITICAL_INFO),
    (DEFAULT.critical_information.flag.code, mock.CRITICAL_INFORMATION),
    (DEFAULT.critical_information.condition.code, mock.CRITICAL_CONDITION),
    (DEFAULT.document_type.system, mock.DOCUMENT_TYPE),
    (DEFAULT.communication_category.system, mock.COMMUNICATION_CATEGORY),
    (DEFAULT.communication_category.internal_message.code, mock.CATEGORY_INTERNAL_MESSAGE),
    (DEFAULT.communication_category.plo.code, mock.CATEGORY_PLO),
    (DEFAULT.communication_category.lab_notification.code, mock.CATEGORY_LAB_NOTIFICATION),
    (DEFAULT.plo_message.system, mock.PLO_MESSAGE),
    (DEFAULT.list_code.system, mock.LIST_CODE),
    (DEFAULT.list_code.recent_patients.code, mock.LIST_RECENT_PATIENTS),
    (DEFAULT.staff_role.system, mock.STAFF_ROLE),
    (DEFAULT.organization_kind.system, mock.ORGANIZATION_KIND),
    (DEFAULT.micro_antibiotic.system, mock.MICRO_ANTIBIOTIC),
    (DEFAULT.micro_observation.system, mock.MICRO_ORGANISM_TEST),
    (DEFAULT.local_lab.system, mock.LOCAL_LAB),
    (DEFAULT.acvpu.system, mock.ACVPU),
    (DEFAULT.risk_method.system, mock.RISK_METHOD),
    (DEFAULT.news2_spo2_scale.system, mock.SPO2_SCALE_CODES),
    (DEFAULT.identifier_systems.spo2_scale, mock.SPO2_SCALE_KEY),
    (DEFAULT.identifier_systems.secretary_service, mock.SECRETARY_SERVICE),
    (DEFAULT.extensions.last_modified_by, mock.EXT_LAST_MODIFIED_BY),
    (DEFAULT.questionnaires.padua, mock.PADUA_QUESTIONNAIRE),
])
def test_the_default_profile_names_what_the_mock_names(ours: str, mocks: str) -> None:
    assert ours == mocks


def test_the_note_types_and_local_lab_codes_are_the_mocks() -> None:
    assert {c.code: c.display for c in DEFAULT.document_type.note_types.values()} == DOCUMENT_TYPES
    assert {DEFAULT.document_type.nursing_note.code} == HEALTH_WORKER_NOTE_TYPES
    seeded_local = {a.code for a in SEEDED_ANALYTES.values() if a.system == mock.LOCAL_LAB}
    assert set(DEFAULT.local_lab.by_code) == seeded_local


def _uris(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _uris(value)
    elif isinstance(node, str) and node.startswith(("http:", "https:", "urn:")):
        yield node


def test_every_url_of_the_default_profile_is_under_the_mocks_own_base() -> None:
    """The systems only the app writes (note categories, task types, ...) are the mock's too."""
    found = list(_uris(DEFAULT.model_dump()))
    assert len(found) == 25
    assert [u for u in found if not u.startswith(f"{mock.LOCAL}/")] == []


def _coded(resource: Any, system: str, code: str) -> bool:
    if isinstance(resource, dict):
        if resource.get("system") == system and resource.get("code") == code:
            return True
        return any(_coded(value, system, code) for value in resource.values())
    return isinstance(resource, list) and any(_coded(item, system, code) for item in resource)


SEEDED_CODES = [
    ("Flag", DEFAULT.critical_information.system, DEFAULT.critical_information.flag.code),
    ("Condition", DEFAULT.critical_information.system, DEFAULT.critical_information.condition.code),
    *[("DocumentReference", DEFAULT.document_type.system, c.code) for c in DEFAULT.document_type.note_types.values()],
    ("Communication", DEFAULT.communication_category.system, DEFAULT.communication_category.plo.code),
    *[("Communication", DEFAULT.plo_message.system, code) for code in DEFAULT.plo_message.from_municipality],
    ("PractitionerRole", DEFAULT.staff_role.system, DEFAULT.staff_role.auditor.code),
    ("Organization", DEFAULT.organization_kind.system, DEFAULT.organization_kind.secretary_service.code),
    ("RiskAssessment", DEFAULT.risk_method.system, DEFAULT.risk_method.padua.code),
]


@pytest.mark.parametrize(("resource_type", "system", "code"), SEEDED_CODES,
                         ids=[f"{t}:{c}" for t, _, c in SEEDED_CODES])
def test_the_seeded_hospital_holds_the_codes_the_app_reads(seed: SeedData, resource_type: str, system: str,
                                                           code: str) -> None:
    assert any(_coded(resource, system, code) for resource in seed.of(resource_type))


# ------------------------------------------------------------------ a profile that cannot be used


def _edited(tmp_path: Path, old: str, new: str, name: str = "hospital.toml") -> Path:
    assert old in DEFAULT_TEXT
    path = tmp_path / name
    path.write_text(DEFAULT_TEXT.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "problem"), [
    ('name = "Visitt mock EPJ"', 'name = "Visitt', "not valid TOML"),
    ('system = "https://visitt.example.no/fhir/CodeSystem/critical-information"\n', "",
     "critical_information.system: missing"),
    ('flag = { code = "critical-information", display = "Kritisk informasjon" }', 'flag = "critical-information"',
     "critical_information.flag: Input should be a valid dictionary"),
    ('tnt = ["TNTHS"]', 'tnt = "TNTHS"', "local_lab.analytes.tnt: Input should be a valid tuple"),
    ('system = "https://visitt.example.no/fhir/CodeSystem/list-code"', 'system = "visitt.example.no/list-code"',
     "list_code.system: must be an absolute URI"),
    ('own_note = "https://visitt.example.no/fhir/sid/own-note"', 'own_note = "/fhir/sid/own-note"',
     "identifier_systems.own_note: must be an absolute URI"),
    ('recent_patients = { code = "recent-patients" }', 'recent_patients = { code = "recent|patients" }',
     "list_code.recent_patients.code: must be a code"),
    ('recent_patients = { code = "recent-patients" }', 'recent_patients = { code = "followed-patients" }',
     "list_code: two of its codes are the same"),
    ('nursing_note = { code = "sykepleienotat", display = "Sykepleienotat" }',
     'nursing_note = { code = "daglig-notat" }',
     "document_type: two of its codes are the same"),
    ('plo = { code = "plo" }', 'plo = { code = "internal-message" }',
     "communication_category: two of its codes are the same"),
    ('ward_note = { code = "ward-note", display = "Avdelingsnotat" }', 'ward_note = { code = "own-note" }',
     "note_category: two of its codes are the same"),
    ('scale_2 = { code = "scale-2", display = "SpO2 scale 2" }', 'scale_2 = { code = "scale-1" }',
     "news2_spo2_scale: two of its codes are the same"),
    ('tnt = ["TNTHS"]', 'troponin = ["TNTHS"]', "analytes troponin are not in the app's catalogue"),
    ("[extensions]", "[extensions]\nhide_full_beds = \"https://x.example/y\"",
     "extensions.hide_full_beds: not a key of a terminology profile"),
])
def test_a_bad_profile_is_refused_naming_the_file_and_the_key(tmp_path: Path, old: str, new: str,
                                                             problem: str) -> None:
    path = _edited(tmp_path, old, new)
    with pytest.raises(TerminologyError) as refused:
        terminology.load(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert problem in str(refused.value)


def test_a_json_profile_is_read_and_bad_json_is_named(tmp_path: Path) -> None:
    data = DEFAULT.model_dump(mode="json")
    good = tmp_path / "hospital.json"
    good.write_text(json.dumps(data), encoding="utf-8")
    assert terminology.load(good) == DEFAULT
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data)[:-1], encoding="utf-8")
    with pytest.raises(TerminologyError, match=r"bad\.json: not valid JSON"):
        terminology.load(bad)
    listed = tmp_path / "list.json"
    listed.write_text("[]", encoding="utf-8")
    with pytest.raises(TerminologyError, match=r"list\.json: a terminology profile is an object of keys, not list"):
        terminology.load(listed)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(TerminologyError, match=r"nowhere\.toml: the terminology profile cannot be read"):
        terminology.load(tmp_path / "nowhere.toml")


# ------------------------------------------------------------------ a hospital's profile in use


def hospital_text() -> str:
    text = DEFAULT_TEXT.replace("https://visitt.example.no/fhir", HOSPITAL_BASE)
    for old, new in (('name = "Visitt mock EPJ"', 'name = "Sykehuset"'),
                     ('code = "critical-information"', 'code = "KRIT"'),
                     ('code = "recent-patients"', 'code = "SIST-APNET"'),
                     ('code = "daglig-notat"', 'code = "DAGLIG"'),
                     ('tnt = ["TNTHS"]', 'tnt = ["TROP-T"]')):
        assert old in text
        text = text.replace(old, new)
    return text


@pytest.fixture
def hospital(tmp_path: Path) -> Iterator[Terminology]:
    """A hospital's profile (other system URLs, some other codes), in use for the test."""
    path = tmp_path / "hospital.toml"
    path.write_text(hospital_text(), encoding="utf-8")
    profile = terminology.load(path)
    before = terms()
    terminology.use(profile)
    yield profile
    terminology.use(before)


def test_critical_information_is_read_in_the_hospitals_system(hospital: Terminology) -> None:
    def flag(system: str, code: str) -> dict[str, Any]:
        return {"resourceType": "Flag", "status": "active", "subject": {"reference": "Patient/p1"},
                "category": [{"coding": [{"system": system, "code": code}]}]}

    assert mapping.critical_flag_patients([flag(f"{HOSPITAL_BASE}/CodeSystem/critical-information", "KRIT")]) == {"p1"}
    assert mapping.critical_flag_patients([flag(mock.CRITICAL_INFO, mock.CRITICAL_INFORMATION)]) == set()


async def test_the_recent_patients_list_is_searched_and_written_with_the_hospitals_code(
        hospital: Terminology, api: respx.MockRouter, client: EpjClient) -> None:
    search = api.get(f"{BASE}/List").mock(return_value=fhir(200, searchset()))
    create = api.post(f"{BASE}/List").mock(return_value=fhir(201, {"resourceType": "List", "id": "new"}))
    await client.remember_recent("prac-1", "p1")
    token = f"{HOSPITAL_BASE}/CodeSystem/list-code|SIST-APNET"
    assert dict(parse_qsl(urlsplit(str(search.calls[0].request.url)).query))["code"] == token
    assert dict(parse_qsl(create.calls[0].request.headers["if-none-exist"]))["code"] == token
    assert sent_json(create)["code"] == {"coding": [{"system": f"{HOSPITAL_BASE}/CodeSystem/list-code",
                                                     "code": "SIST-APNET"}]}


def test_a_note_is_written_with_the_hospitals_document_type_and_read_back_as_the_apps(
        hospital: Terminology) -> None:
    draft = NoteDraft(patient_id="p1", note_type=PROGRESS_NOTE, text="Stabil.", author_id="prac-1")
    resource = write_mapping.document_reference(draft)
    assert resource["type"]["coding"] == [{"system": f"{HOSPITAL_BASE}/CodeSystem/document-type", "code": "DAGLIG",
                                           "display": "Daglig notat"}]
    summary = clinical.document({**resource, "id": "d1"})
    assert summary is not None and summary.type_code == PROGRESS_NOTE
    assert write_mapping.same_note(resource, draft)


def test_a_local_lab_code_of_the_hospital_names_its_analyte(hospital: Terminology) -> None:
    observation = {"resourceType": "Observation", "id": "o1", "status": "final",
                   "code": {"coding": [{"system": f"{HOSPITAL_BASE}/CodeSystem/local-lab", "code": "TROP-T"}]},
                   "valueQuantity": {"value": 12, "unit": "ng/L"}}
    result = labs.lab_result(observation)
    assert result is not None and result.group is LabGroup.CARDIAC


def test_the_overview_searches_with_the_hospitals_systems(hospital: Terminology) -> None:
    queries = overview_queries("p1")
    assert f"{HOSPITAL_BASE}/CodeSystem/communication-category|plo" in _query(queries["plo"])["category"]
    assert _query(queries["risks"])["method"] == f"{HOSPITAL_BASE}/CodeSystem/risk-method|padua"
    assert _query(queries["risk_answers"])["questionnaire"] == f"{HOSPITAL_BASE}/Questionnaire/padua"


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


# ------------------------------------------------------------------ chosen at startup


def test_visitt_refuses_a_bad_profile_before_starting_anything(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from visitt import cli

    def no_mock(_: Any) -> str:
        raise AssertionError("the mock was started")

    monkeypatch.setattr(cli, "_start_mock", no_mock)
    path = _edited(tmp_path, 'system = "https://visitt.example.no/fhir/CodeSystem/list-code"', 'system = "list-code"',
                   name="bad.toml")
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--terminology", str(path)])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert f"{path}: not a usable terminology profile: list_code.system: must be an absolute URI" in error


def test_visitt_hands_the_profile_to_the_app(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import flet

    from mobile_app.ui import app
    from visitt import cli

    path = tmp_path / "hospital.toml"
    path.write_text(hospital_text(), encoding="utf-8")
    started: list[app.AppConfig] = []
    monkeypatch.setattr(app, "main_for", lambda config: started.append(config))
    monkeypatch.setattr(flet, "run", lambda *args, **kwargs: None)
    monkeypatch.setattr(cli, "_desktop_available", lambda: None)
    monkeypatch.setenv("VISITT_USAGE_CONFIG", str(tmp_path / "missing.toml"))
    monkeypatch.setenv("VISITT_USAGE_DIR", str(tmp_path / "usage"))
    assert cli.main(["--terminology", str(path), "--epj-url", "http://127.0.0.1:9/fhir", "--no-usage-log"]) == 0
    assert f"Terminology profile: Sykehuset ({path})" in capsys.readouterr().out
    (config,) = started
    assert config.terminology == terminology.load(path) != DEFAULT


def test_the_app_uses_the_profile_of_its_config_and_the_mocks_without_one(tmp_path: Path) -> None:
    from mobile_app.ui.app import AppConfig, main_for

    path = tmp_path / "hospital.toml"
    path.write_text(hospital_text(), encoding="utf-8")
    hospital = terminology.load(path)
    before = terms()
    try:
        main_for(AppConfig(epj_url="http://127.0.0.1:9/fhir", terminology=hospital))
        assert terms() == hospital
        main_for(AppConfig(epj_url="http://127.0.0.1:9/fhir"))
        assert terms() == DEFAULT
    finally:
        terminology.use(before)
