"""``_elements``: a search's matches cut down to the top-level elements the client asked for.

FHIR R4 search (3.1.1.5.9): the server returns the asked elements and SHOULD return the mandatory
ones too, and marks the resource SUBSETTED (``meta.tag``) so that a client does not take what was
left out for absent. ``value`` asks for the choice element ``value[x]`` (``valueQuantity``, ...).

The cut text is kept per row version and element list: the rows a ward's phones ask for are the
same for each of them (a ward's unsigned results), so after the first phone it costs a lookup,
not parsing and writing JSON again. A new version is a new key; the oldest half of the entries is
dropped when the cache is full.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from mock_epj.store import Stored
from mock_epj.terminology import SUBSETTED_TAG
from mock_epj.wire import dumps

_ALWAYS = ("resourceType", "id", "meta")
# Elements with a minimum cardinality of 1 in FHIR R4, by type (those of the types served here).
MANDATORY: dict[str, tuple[str, ...]] = {
    "Observation": ("status", "code"),
    "DiagnosticReport": ("status", "code"),
    "Encounter": ("status", "class"),
    "Condition": ("subject",),
    "AllergyIntolerance": ("patient",),
    "Flag": ("status", "code", "subject"),
    "DocumentReference": ("status", "content"),
    "Specimen": (),
    "Procedure": ("status", "subject"),
    "Task": ("status", "intent"),
    "Media": ("status", "content"),
    "Appointment": ("status", "participant"),
    "Schedule": ("actor",),
    "Communication": ("status",),
    "CarePlan": ("status", "intent", "subject"),
    "RelatedPerson": ("patient",),
    "Subscription": ("status", "reason", "criteria", "channel"),
    "List": ("status", "mode"),
    "Provenance": ("target", "recorded", "agent"),
    "AuditEvent": ("type", "recorded", "agent", "source"),
    "PractitionerRole": (),
    "Device": (),
}
_MAX_CACHED = 20_000


def _wanted(key: str, elements: tuple[str, ...]) -> bool:
    return any(key == name or (key.startswith(name) and key[len(name):len(name) + 1].isupper())
               for name in elements)


def cut(resource: dict[str, Any], elements: tuple[str, ...]) -> dict[str, Any]:
    """The resource with only the asked, the mandatory and the always kept elements, tagged SUBSETTED."""
    asked = (*elements, *MANDATORY.get(resource.get("resourceType", ""), ()))
    kept = {key: value for key, value in resource.items() if key in _ALWAYS or _wanted(key, asked)}
    meta = dict(kept.get("meta") or {})
    meta["tag"] = [*meta.get("tag", []), SUBSETTED_TAG]
    kept["meta"] = meta
    return kept


class ElementCache:
    """Cut JSON text by (row, version, element list), for one process."""

    def __init__(self, size: int = _MAX_CACHED) -> None:
        self._size = size
        self._texts: dict[tuple[int, int, tuple[str, ...]], str] = {}
        self._lock = threading.Lock()

    def text(self, stored: Stored, elements: tuple[str, ...]) -> str:
        key = (stored.rid, stored.version, elements)
        text = self._texts.get(key)
        if text is None:
            text = dumps(cut(json.loads(stored.body), elements))
            with self._lock:
                if len(self._texts) >= self._size:  # dicts keep insertion order: drop the oldest half
                    for old in list(self._texts)[: self._size // 2]:
                        del self._texts[old]
                self._texts[key] = text
        return text
