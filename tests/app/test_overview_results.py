"""The overview's newest lab results: a pending sample never hides the last value, and what
matters comes first (critical, then abnormal, then the rest); the trend table says "awaiting"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from mobile_app.domain.models import LabFlag, PatientOverview
from mobile_app.domain.newest_results import newest_results
from mobile_app.epj import clinical
from mobile_app.epj.fhir import JSON
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.patient import PatientScreen
from mobile_app.ui.screens.trend import TrendScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.trend import TrendState
from tests.support.app_sessions import sign_in
from tests.support.fake_epj import FakeClient, patient
from tests.support.screens import render, texts

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
NLK = "http://helsedir.no/fhir/CodeSystem/no-kodeverk-7280-nlk"


def _lab(oid: str, code: str, name: str, hours_ago: float, value: float | None, unit: str,
         low: float, high: float, status: str = "final") -> JSON:
    resource: JSON = {
        "resourceType": "Observation", "id": oid, "status": status,
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "laboratory"}]}],
        "code": {"coding": [{"system": NLK, "code": code}], "text": name},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": (NOW - timedelta(hours=hours_ago)).isoformat(),
        "referenceRange": [{"low": {"value": low, "unit": unit}, "high": {"value": high, "unit": unit}}],
    }
    if value is not None:
        resource["valueQuantity"] = {"value": value, "unit": unit}
    return resource


# As the EPJ sends them, newest first: the creatinine of this morning is still at the lab.
OBSERVATIONS = [
    _lab("crea-new", "NPU18016", "P-Kreatinin", 1, None, "µmol/L", 45, 90, status="registered"),
    _lab("hb", "NOR05172", "B-Hemoglobin", 2, 13.5, "g/dL", 11.7, 15.3),
    _lab("crp", "NPU19748", "P-CRP", 2, 12, "mg/L", 0, 5),
    _lab("k", "NPU03230", "P-Kalium", 3, 4.1, "mmol/L", 3.5, 5.0),
    _lab("na", "NPU03429", "P-Natrium", 4, 117, "mmol/L", 137, 145),
    _lab("crea-old", "NPU18016", "P-Kreatinin", 26, 88, "µmol/L", 45, 90),
]


def _overview() -> PatientOverview:
    sources = clinical.OverviewSources(patient={"resourceType": "Patient", "id": "p1"}, labs=OBSERVATIONS)
    return clinical.patient_overview(sources, NOW).model_copy(update={"patient": patient("p1")})


def test_a_pending_sample_keeps_the_last_value_beside_it() -> None:
    lines = {line.name: line for line in newest_results(_overview().labs)}
    creatinine = lines["P-Kreatinin"]
    assert creatinine.latest is not None and creatinine.latest.value == 88
    assert creatinine.pending is not None and creatinine.pending.id == "crea-new"
    assert creatinine.flag is LabFlag.NORMAL


def test_critical_first_then_abnormal_then_the_rest() -> None:
    names = [line.name for line in newest_results(_overview().labs)]
    assert names[:2] == ["P-Natrium", "P-CRP"]  # 117 is critically low; CRP 12 is high
    assert set(names[2:]) == {"B-Hemoglobin", "P-Kalium", "P-Kreatinin"}
    assert names[2:] == ["B-Hemoglobin", "P-Kalium", "P-Kreatinin"]  # the rest: newest value first


async def test_the_overview_shows_the_last_value_and_the_pending_sample(app: AppState, client: FakeClient) -> None:
    client.overviews["p1"] = _overview()
    await sign_in(app, "lege1")
    screen = await app.open_patient("p1")
    t = Messages("nb")
    shown = list(texts(render(PatientScreen, app, screen, t)))
    joined = " ".join(shown)
    assert "88 µmol/L" in joined
    assert re.search(r"Ny prøve tatt [^·]+ · venter på svar", joined)
    assert "µmol/L" not in shown  # never a unit without its number
    labs = joined[joined.index(t("pt.labs")):]
    assert labs.index("P-Natrium") < labs.index("P-CRP") < labs.index("B-Hemoglobin")
    assert t("lab.flag.critical_low") in labs


def test_the_trend_table_says_a_pending_sample_is_awaited(app: AppState) -> None:
    results = tuple(reversed([r for r in _overview().labs if r.code == "NPU18016"]))  # oldest first
    trend = TrendState("p1", "Kari Nordmann", "P-Kreatinin", "µmol/L", results)
    t = Messages("nb")
    shown = list(texts(render(TrendScreen, app, trend, t)))
    assert "88 µmol/L" in shown
    assert t("lab.awaiting") in shown
    assert "µmol/L" not in shown
