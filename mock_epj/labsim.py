"""Lab simulation: new results arrive for admitted patients and notify those who follow them.

Following is a FHIR Subscription whose criteria names the patient; each arrival creates one
Communication (category lab-notification) addressed to every subscriber, which is how the app's
notification centre learns about it. That Communication is a mock-only side effect: a server in
strict mode (``notify=False``, ``mock-epj serve --strict``) writes the results and nothing else.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime
from typing import Any

from mock_epj import dates
from mock_epj.seed.labs import new_lab_results
from mock_epj.store import Store, new_id
from mock_epj.terminology import (
    CATEGORY_LAB_NOTIFICATION,
    COMMUNICATION_CATEGORY,
    EXT_SUBSCRIBER,
)


class LabSimulator:
    def __init__(self, store: Store, seed: int | None = None, notify: bool = True) -> None:
        self.store = store
        self.notify = notify  # write Communications to subscribers (never in strict mode)
        self.rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def admitted(self) -> list[tuple[str, str]]:
        """(patient id, encounter id) of every current stay."""
        return [(str(stay.patient), stay.id) for stay in self.store.queries.current_stays()]

    def arrive(self, patient_id: str | None = None) -> list[str]:
        """New results for one admitted patient (random when not given); returns created refs."""
        stays = self.admitted()
        if patient_id is not None:
            stays = [s for s in stays if s[0] == patient_id]
            if not stays:
                raise LookupError(f"Patient/{patient_id} has no current stay")
        if not stays:
            return []
        patient_id, encounter_id = self.rng.choice(stays)
        patient = self.store.read("Patient", patient_id)
        assert patient is not None
        results = new_lab_results(self.rng, patient.resource(), encounter_id, datetime.now(UTC))
        notifications = self._notifications(patient_id, results) if self.notify else []
        self.store.bulk_load([*results, *notifications])
        return [f"{r['resourceType']}/{r['id']}" for r in [*results, *notifications]]

    def _notifications(self, patient_id: str, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        subscribers: set[str] = set()
        rids = self.store.queries.rids_referring_to("Subscription", "patient", [f"Patient/{patient_id}"])
        for stored in self.store.read_rids(rids):
            subscription = stored.resource()
            if subscription.get("status") != "active":
                continue
            for ext in subscription.get("extension", []):
                if ext.get("url") == EXT_SUBSCRIBER:
                    subscribers.add(ext["valueReference"]["reference"])
        if not subscribers:
            return []
        observations = [r for r in results if r["resourceType"] == "Observation"]
        summary = ", ".join(_describe(o) for o in observations[:6])
        about = [{"reference": f"{r['resourceType']}/{r['id']}"} for r in results]
        return [{
            "resourceType": "Communication",
            "id": new_id(),
            "status": "completed",
            "category": [{"coding": [{"system": COMMUNICATION_CATEGORY,
                                      "code": CATEGORY_LAB_NOTIFICATION,
                                      "display": "Nye prøvesvar"}]}],
            "subject": {"reference": f"Patient/{patient_id}"},
            "about": about,
            "recipient": [{"reference": subscriber}],
            "sent": dates.now_instant(),
            "payload": [{"contentString": f"Nye prøvesvar: {summary}"}],
        } for subscriber in sorted(subscribers)]

    def start(self, interval_s: float) -> None:
        def loop() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.arrive()
                except Exception as error:  # keep simulating; report and go on
                    print(f"lab simulation: {error}")

        self._thread = threading.Thread(target=loop, name="lab-simulation", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()


def _describe(observation: dict[str, Any]) -> str:
    name = observation.get("code", {}).get("coding", [{}])[0].get("display") \
        or observation.get("code", {}).get("text", "?")
    quantity = observation.get("valueQuantity")
    if quantity:
        return f"{name} {quantity.get('value')} {quantity.get('unit', '')}".strip()
    return f"{name} (venter)"
