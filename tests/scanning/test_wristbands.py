"""``mock-epj wristbands``: printed bands decode back to their patients, and a band's codes always agree."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from mobile_app.domain.wristband import GSRN_SYSTEM, gs1_check_digit
from mobile_app.scanning import ScanProblem, scan_bytes, scan_image
from mock_epj.cli import main as mock_epj
from mock_epj.seed.identifiers import gsrn as make_gsrn
from mock_epj.seed.identifiers import synthetic_person_number
from mock_epj.store import Store
from mock_epj.terminology import FNR
from mock_epj.wristband_samples import write_samples
from mock_epj.wristbands import Inpatient, inpatients, render_wristband
from tests.support.barcode_images import photo
from tests.support.database import copy_db

SAMPLES = Path(__file__).resolve().parents[2] / "assets" / "wristbands"


@pytest.fixture(scope="module")
def db(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_db(seeded_db, tmp_path_factory.mktemp("bands") / "bands.sqlite3")


@pytest.fixture(scope="module")
def store(db: Path) -> Iterator[Store]:
    opened = Store(db)
    yield opened
    opened.close()


def owners_in(db: Path) -> dict[tuple[str, str], set[str]]:
    """(system, value) -> patient ids, straight from the stored Patient resources."""
    owners: dict[tuple[str, str], set[str]] = {}
    connection = sqlite3.connect(db)
    for (body,) in connection.execute("SELECT body FROM resources WHERE type = 'Patient' AND deleted = 0"):
        patient = json.loads(body)
        for identifier in patient.get("identifier", []):
            owners.setdefault((identifier["system"], identifier["value"]), set()).add(patient["id"])
    connection.close()
    return owners


def test_the_command_writes_n_bands_that_decode_back_to_the_patients_in_the_index(
    db: Path, tmp_path: Path,
) -> None:
    assert mock_epj(["wristbands", "--db", str(db), "--out", str(tmp_path), "--count", "4"]) == 0
    index = json.loads((tmp_path / "index.json").read_text(encoding="utf-8"))
    assert len(index) == 4
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(index)
    owners = owners_in(db)
    for name, entry in index.items():
        path = tmp_path / name
        assert path.stat().st_size < 100_000
        assert Image.open(path).size == (1200, 300)
        outcome = scan_bytes(path.read_bytes())
        assert outcome.valid
        assert {(i.system, i.value) for i in outcome.identifiers} == {
            (entry["system"], entry["fnr"]), (GSRN_SYSTEM, entry["gsrn"])}
        resolution = outcome.resolve(lambda system, value: owners.get((system or "", value), set()))
        assert resolution.patient == entry["patient"]


def test_the_command_refuses_a_database_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert mock_epj(["wristbands", "--db", str(tmp_path / "none.sqlite3"), "--out", str(tmp_path / "o")]) == 1
    assert "mock-epj seed" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite3").exists()


def test_every_inpatients_band_has_two_codes_that_name_that_same_patient(db: Path, store: Store) -> None:
    owners = owners_in(db)

    def lookup(system: str | None, value: str) -> Collection[str]:
        return owners.get((system or "", value), set())

    patients = inpatients(store)
    assert len(patients) > 20
    for patient in patients:
        outcome = scan_image(render_wristband(patient).image)
        assert outcome.valid, patient.patient_id
        assert len(outcome.identifiers) == 2
        assert outcome.resolve(lookup).patient == patient.patient_id


def test_bands_need_no_system_fonts(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import mock_epj.wristbands as wristbands

    monkeypatch.setattr(wristbands, "_FONT_FILES", ())
    wristbands.font.cache_clear()
    wristbands.font_files.cache_clear()
    try:
        assert wristbands.printable("Ødegård, Åse Marié") == "Oedegaard, Aase Marie"
        band = render_wristband(inpatients(store, 1)[0]).image
    finally:
        wristbands.font.cache_clear()
        wristbands.font_files.cache_clear()
    assert band.size == (1200, 300)
    assert scan_image(band).valid


@st.composite
def synthetic_inpatients(draw: st.DrawFn) -> Inpatient:
    import random

    born = draw(st.dates(min_value=date(1920, 1, 1), max_value=date(2024, 12, 31)))
    rng = random.Random(draw(st.integers(0, 2**32)))
    d_number = draw(st.booleans())
    number = synthetic_person_number(rng, born, draw(st.booleans()), d_number=d_number)
    given_name = draw(st.sampled_from(["Åse", "Øystein", "Bjørn Are", "Kari", "Mari Ann"]))
    family = draw(st.sampled_from(["Ødegård", "Aas", "Kristoffersen-Haugland", "Berg"]))
    return Inpatient(
        patient_id="p", family=family, given=given_name, birth_date=born, person_number=number,
        person_system="urn:oid:2.16.578.1.12.4.1.4.2" if d_number else FNR,
        gsrn=make_gsrn(draw(st.integers(1, 10**9))), ward="Medisinsk sengepost", bed="Rom 1 seng 2")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(synthetic_inpatients())
def test_any_band_decodes_to_exactly_the_numbers_printed_on_it_even_in_a_photo(patient: Inpatient) -> None:
    outcome = scan_image(photo(render_wristband(patient).image))
    assert outcome.valid
    assert {i.value for i in outcome.identifiers} == {patient.person_number, patient.gsrn}
    assert outcome.payload is not None and outcome.payload.identifier.value == patient.gsrn


def test_the_sample_generator_keeps_its_promises(store: Store, tmp_path: Path) -> None:
    expected = write_samples(store, tmp_path)
    check_samples(tmp_path, expected)


def test_the_committed_samples_match_their_expectations() -> None:
    expected = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
    assert len(expected) == 7
    check_samples(SAMPLES, expected)


def check_samples(folder: Path, expected: dict[str, dict[str, object]]) -> None:
    for name, want in expected.items():
        data = (folder / name).read_bytes()
        assert len(data) < 100_000, name
        outcome = scan_bytes(data)
        assert {code.barcode.format: code.barcode.text for code in outcome.codes} == want["codes"], name
        assert outcome.valid is want["valid"], name
        assert (outcome.problem.value if outcome.problem else None) == want["problem"], name
        if want["valid"]:
            assert outcome.code is not None and outcome.code.identifier is not None
            assert outcome.code.identifier.value == want["identifier"], name
            assert outcome.code.identifier.system == want["system"], name
        if want["reason"] is not None:
            assert outcome.code is not None and outcome.code.error is not None
            assert outcome.code.error.reason == want["reason"], name
    assert outcome_of(folder / "damaged.png") is ScanProblem.NO_BARCODE


def outcome_of(path: Path) -> ScanProblem | None:
    return scan_bytes(path.read_bytes()).problem


def test_gsrn_helpers_of_the_two_programs_agree() -> None:
    for serial in (1, 12, 999_999, 10**9):
        value = make_gsrn(serial)
        assert gs1_check_digit(value[:-1]) == int(value[-1])
