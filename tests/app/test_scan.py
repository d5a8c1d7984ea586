"""Scanning state: one match opens the patient, none or several never guess, invalid codes explain."""

from __future__ import annotations

import pytest

from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.navigator import Tab
from mobile_app.ui.viewmodels.patient import PatientState
from mobile_app.ui.viewmodels.scan import ScanState, ScanStatus
from tests.support.app_sessions import logged_in, valid_fnr
from tests.support.fake_epj import FakeClient, patient
from tests.support.wristband_scans import GS1_DATAMATRIX, GSRN


async def test_one_match_opens_the_patient_with_a_confirmation(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    client.results[GSRN] = [patient("p7", family="Lund")]
    app.nav.select_tab(Tab.SEARCH)
    assert app.scans.scanning_allowed
    await app.scans.scanned(GS1_DATAMATRIX, "scanner")
    top = app.nav.stack[-1]
    assert isinstance(top, PatientState)
    assert top.patient_id == "p7" and top.scanned and top.opened_from == "scan"
    assert not any(isinstance(s, ScanState) for s in app.nav.stack)  # back goes to the search tab
    assert ("identifier", GSRN) in client.calls


async def test_no_match_says_so_with_the_number(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    client.results[GSRN] = []
    scan = app.scans.open_scan()
    assert await scan.submit(GS1_DATAMATRIX, "scanner") is None
    assert scan.status is ScanStatus.NONE
    assert scan.problem is not None and scan.problem.params["number"] == GSRN


async def test_several_matches_are_listed_never_guessed(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    number = valid_fnr()
    client.results[number] = [patient("a"), patient("b")]
    await app.scans.scanned(number, "scanner")
    scan = app.scans.current_scan
    assert scan is not None and scan.status is ScanStatus.MANY
    assert [p.id for p in scan.candidates] == ["a", "b"]
    assert app.nav.top(PatientState) is None


@pytest.mark.parametrize(("raw", "key"), [
    (f"]d28018{GSRN[:-1]}9", "scan.reason.gsrn_check_digit"),
    ("hello wristband", "scan.reason.unrecognised"),
    ("04835012346", "scan.invalid_identifier"),
])
async def test_invalid_codes_explain_and_send_nothing(app: AppState, client: FakeClient, raw: str, key: str) -> None:
    await logged_in(app)
    before = len(client.calls)
    scan = app.scans.open_scan()
    assert await scan.submit(raw, "scanner") is None
    assert scan.status is ScanStatus.INVALID
    assert scan.problem is not None and scan.problem.key == key
    assert len(client.calls) == before


async def test_manual_entry_validates_live(app: AppState) -> None:
    await logged_in(app)
    scan = app.scans.open_scan()
    scan.set_manual("0483501")
    assert scan.manual_problem is None  # still typing
    scan.set_manual("04835012346")
    assert scan.manual_problem is not None and scan.manual_problem.key == "scan.invalid_identifier"
    scan.set_manual(valid_fnr())
    assert scan.manual_problem is None
    found = await scan.submit_manual()
    assert found is not None and scan.source == "manual"


async def test_images_are_decoded_then_looked_up(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    client.results[GSRN] = [patient("p3")]
    decoded = {b"band": [valid_fnr()[:5], GS1_DATAMATRIX], b"blank": []}

    def decode(data: bytes) -> list[str]:
        if data == b"broken":
            raise ValueError("not an image")
        return decoded[data]

    app.scans.decode_image = decode
    scan = app.scans.open_scan()
    assert (await scan.submit_image(b"band")) is not None  # the invalid first code is passed over
    assert await scan.submit_image(b"blank") is None
    assert scan.problem is not None and scan.problem.key == "scan.no_code_found"
    assert await scan.submit_image(b"broken") is None
    assert scan.problem is not None and scan.problem.key == "scan.unreadable_image"


async def test_scanner_bursts_count_everywhere_but_over_a_patient_or_in_a_field(app: AppState) -> None:
    assert not app.scans.scanning_allowed  # logged out
    await logged_in(app)
    for tab in Tab:  # every tab, not only Search
        app.nav.select_tab(tab)
        assert app.scans.scanning_allowed
    app.open_messages()
    assert app.scans.scanning_allowed  # a screen about no patient
    app.nav.select_tab(Tab.WARD)
    patient = await app.open_patient("p1")
    assert not app.scans.scanning_allowed  # a patient is open: a stray scan must not switch patient
    app.open_compose(about=patient)
    assert not app.scans.scanning_allowed  # nor on a screen over the patient
    app.scans.open_scan()
    assert app.scans.scanning_allowed  # the scan screen, opened on purpose
    app.scans.typing(True)
    assert not app.scans.scanning_allowed  # the keystrokes go to the focused field and its submit


async def test_enter_in_the_search_field_scans_gs1_and_searches_the_rest(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    client.results[GSRN] = [patient("p6")]
    app.nav.select_tab(Tab.SEARCH)
    app.search.change(GS1_DATAMATRIX)
    await app.scans.submit_search()
    opened = app.nav.top(PatientState)
    assert opened is not None and opened.scanned
    app.nav.select_tab(Tab.SEARCH)
    app.search.change("hansen")
    await app.scans.submit_search()
    assert app.nav.top(PatientState) is None and app.search.results


async def test_a_typed_gsrn_is_looked_up(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    client.results[GSRN] = [patient("p4")]
    scan = app.scans.open_scan()
    scan.set_manual(GSRN[:-1] + "9")
    assert scan.manual_problem is not None and scan.manual_problem.key == "scan.reason.gsrn_check_digit"
    scan.set_manual(GSRN)
    assert scan.manual_problem is None
    await app.scans.submit_manual_scan(scan)
    assert app.nav.top(PatientState) is not None and app.nav.top(PatientState).patient_id == "p4"


async def test_one_scan_reported_twice_is_handled_once(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    client.results[GSRN] = [patient("p5")]
    app.nav.select_tab(Tab.SEARCH)
    await app.scans.scanned(GS1_DATAMATRIX, "scanner")
    await app.scans.scanned(GS1_DATAMATRIX, "scanner")
    assert [s.patient_id for s in app.nav.stack if isinstance(s, PatientState)] == ["p5"]
    assert [c for c in client.calls if c == ("identifier", GSRN)] == [("identifier", GSRN)]


async def test_codes_on_one_band_that_disagree_never_open_a_patient(app: AppState, client: FakeClient) -> None:
    await logged_in(app)
    client.results[GSRN] = [patient("p3")]  # its fødselsnummer is 04835012345 (see fakes)
    other = valid_fnr()

    def decode(data: bytes) -> list[str]:
        return [GS1_DATAMATRIX, other]

    app.scans.decode_image = decode
    scan = app.scans.open_scan()
    assert await scan.submit_image(b"band") is None
    assert scan.problem is not None and scan.problem.key == "scan.codes_disagree"


async def test_a_real_wristband_image_is_read(app: AppState, client: FakeClient) -> None:
    from pathlib import Path

    from mobile_app.scanning import wristband_texts

    await logged_in(app)
    app.scans.decode_image = wristband_texts
    band = Path(__file__).resolve().parents[2] / "assets" / "wristbands" / "good-1.png"
    scan = app.scans.open_scan()
    await scan.submit_image(band.read_bytes())
    assert scan.decoded.startswith("708")  # the GSRN was looked up first
    assert ("identifier", scan.decoded) in client.calls
    broken = app.scans.open_scan()
    assert await broken.submit_image(b"not a picture") is None
    assert broken.problem is not None and broken.problem.key == "scan.unreadable_image"
