"""A long lab history for one patient (2,000 extra potassium results over six years), loaded into a
mock EPJ database: what the lab tests and benchmarks page through."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mock_epj.seed.labs import ANALYTES, interpret
from mock_epj.store import Store

EXTRA_RESULTS = 2000


def long_history(patient_id: str, count: int, now: datetime, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` potassium results over six years, a few of them critical, oldest first."""
    rng = random.Random(seed)
    potassium = ANALYTES["k"]
    limits = (potassium.low, potassium.high)
    start = now - timedelta(days=6 * 365)
    step = (now - timedelta(days=3) - start) / count
    out = []
    for i in range(count):
        value = round(rng.gauss(4.1, 0.4) if i % 400 else rng.choice((2.4, 6.8)), 1)
        sampled = start + step * i
        out.append({
            "resourceType": "Observation", "id": f"long-{patient_id}-{i:05d}", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory"}]}],
            "code": {"coding": [{"system": potassium.system, "code": potassium.code, "display": potassium.display}],
                     "text": potassium.display},
            "subject": {"reference": f"Patient/{patient_id}"},
            "effectiveDateTime": sampled.isoformat(timespec="seconds"),
            "issued": (sampled + timedelta(hours=1)).isoformat(timespec="seconds"),
            "valueQuantity": {"value": value, "unit": "mmol/L", "system": "http://unitsofmeasure.org",
                              "code": "mmol/L"},
            "referenceRange": [{"low": {"value": 3.5, "unit": "mmol/L"}, "high": {"value": 5.0, "unit": "mmol/L"}}],
            "interpretation": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                "code": interpret(potassium, value, limits)}]}],
        })
    return out


def add_long_history(db: Path, patient_id: str, count: int = EXTRA_RESULTS) -> None:
    store = Store(db)
    store.bulk_load(long_history(patient_id, count, datetime.now(UTC)))
    store.close()
