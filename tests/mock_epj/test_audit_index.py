"""The audit events' own index rows (audit.index_rows_of) are the generic walker's, for every shape
audit_event makes; a mistake there would hide events from the auditor's searches."""

from __future__ import annotations

from typing import Any

import pytest

from mock_epj import audit
from mock_epj.searchparams import index_rows
from mock_epj.store import new_row

_PATIENTS = [f"pat-{n:06d}" for n in range(130)]  # more than an event names (it keeps 100)


@pytest.mark.parametrize("kwargs", [
    {"interaction": "read", "patients": ["pat-000001"], "what": "Observation/obs-1"},
    {"interaction": "search-type", "patients": ["pat-000002", "pat-000001"],
     "query": "Observation?category=vital-signs&date=ge2026-12-02T02%3A22%3A21Z"},
    {"interaction": "search-type", "patients": _PATIENTS, "query": "Encounter?status=in-progress"},
    {"interaction": "vread", "patients": ["pat-000003"], "outcome": audit.OUTCOME_DENIED,
     "outcome_text": "No care relation"},
    {"interaction": "update", "patients": ["pat-000004"], "what": "http://127.0.0.1:1/fhir/Flag/f-1",
     "break_glass_reason": "Bevisstløs pasient i akuttmottaket"},
    {"interaction": "create", "patients": [], "what": "DocumentReference/doc-1"},
    {"interaction": "delete", "patients": ["pat-000005"], "what": "Flag/f-2"},
])
def test_the_rows_are_those_the_generic_walker_finds(kwargs: dict[str, Any]) -> None:
    event = audit.audit_event(practitioner_ref="Practitioner/prac-001", practitioner_name="Kari Nordmann",
                              **kwargs)
    fast = new_row(event, "2026-12-03T02:00:00.123Z", audit.index_rows_of)
    generic = new_row(event, "2026-12-03T02:00:00.123Z")
    assert fast.index == generic.index
    assert fast.index == index_rows(generic.resource)
    assert fast.row == generic.row
    patients = {ref for param, ref in fast.index[3] if param == "patient"}
    assert patients == {f"Patient/{p}" for p in sorted(kwargs["patients"])[:100]}
