"""Wristband scanning: from a payload (scanner, camera, photo or typed) to exactly one patient.

A wrong or misread code must never open the wrong patient: an invalid code says why, no match
says so with the number read, several matches are listed and nothing is guessed. Only exactly
one match is returned to be opened.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import flet as ft

from mobile_app.domain.identifiers import RejectionReason
from mobile_app.domain.models import PatientSummary
from mobile_app.domain.wristband import WristbandError, WristbandPayload, parse_wristband
from mobile_app.scanning import CodesDisagree
from mobile_app.ui.viewmodels.base import AppContext, Problem, elapsed_ms, guarded
from mobile_app.ui.viewmodels.pushed import PushedScreen

# Image decoding is a service of the app (zxing-cpp where it installs); screens get it injected.
ImageDecoder = Callable[[bytes], list[str]]


class ScanStatus(StrEnum):
    IDLE = "idle"
    LOOKING_UP = "looking_up"
    FOUND = "found"
    NONE = "none"  # no patient with this wristband
    MANY = "many"  # several patients: the user chooses, nothing is guessed
    INVALID = "invalid"  # the code itself is wrong
    ERROR = "error"  # the EPJ could not be asked


def wristband_problem(error: WristbandError) -> Problem:
    if isinstance(error.reason, RejectionReason):
        return Problem("scan.invalid_identifier", {"reason_key": f"identifier.{error.reason}"}, retryable=False)
    return Problem(f"scan.reason.{error.reason}", {"raw": readable_code(error.raw_visible)}, retryable=False)


_FRAMING = re.compile(r"^\](?:d2|C1|Q3)|\(\d{2,4}\)|<GS>")


def readable_code(visible: str) -> str:
    """A scanned code as the user can check it against the band: without the barcode's framing
    (symbology prefix ]d2, application identifiers such as (8018), group separators)."""
    shown = _FRAMING.sub(" ", visible).strip()
    if re.fullmatch(r"8018\d{18}", shown):
        shown = shown[4:]  # the AI before a GSRN, unbracketed
    return " ".join(shown.split()) or visible


def is_gs1_payload(text: str) -> bool:
    """A GS1 wristband payload (symbology prefix, group separators or bracketed AIs), valid or not."""
    stripped = text.strip()
    return stripped.startswith(("]d2", "]C1", "]Q3", "(8018)", "\x1d")) or "\x1d" in stripped


def typed_payload(text: str) -> str:
    """What a person types is a number, not a GS1 element string: 18 digits are the band's GSRN."""
    compact = text.strip().replace(" ", "")
    return f"(8018){compact}" if len(compact) == 18 and compact.isdigit() else text


def manual_problem(text: str) -> Problem | None:
    """Live validation while a number is typed by hand (quiet until it could be complete)."""
    compact = text.strip().replace(" ", "").replace("-", "")
    if not compact or (compact.isdigit() and (len(compact) < 11 or 11 < len(compact) < 18)):
        return None
    parsed = parse_wristband(typed_payload(text))
    if isinstance(parsed, WristbandError):
        return wristband_problem(parsed)
    return None


# The usage event's outcome for each end of a scan (problem keys refine INVALID).
_OUTCOMES = {ScanStatus.FOUND: "success", ScanStatus.NONE: "not_found", ScanStatus.MANY: "conflict",
             ScanStatus.INVALID: "invalid", ScanStatus.ERROR: "failure"}
_PROBLEM_OUTCOMES = {"scan.codes_disagree": "mismatch", "scan.no_code_found": "no_code",
                     "scan.unreadable_image": "no_code", "scan.no_decoder": "failure"}
_SYMBOLOGIES = {"]d2": "datamatrix", "]C1": "code128", "]Q3": "qr"}


@ft.observable
@dataclass(eq=False, repr=False)
class ScanState(PushedScreen):
    TITLE = "scan.title"
    USAGE_NAME = "scan"

    ctx: AppContext
    decode_image: ImageDecoder | None = None
    manual: str = ""
    manual_problem: Problem | None = None
    status: ScanStatus = ScanStatus.IDLE
    source: str = ""  # scanner, camera, file or manual
    decoded: str = ""  # the number read, shown with "no patient with this wristband"
    problem: Problem | None = None
    candidates: list[PatientSummary] = field(default_factory=list)
    camera_on: bool = False
    _started: float = field(default_factory=time.perf_counter)  # screen opened, or the last scan ended
    _payload: WristbandPayload | None = None  # what the last scan read (for the usage event)
    _ended: bool = False  # a scan on this screen has been logged (leaving it is then no cancellation)

    def set_manual(self, text: str) -> None:
        self.manual = text
        self.manual_problem = manual_problem(text)

    async def submit_manual(self) -> PatientSummary | None:
        parsed = parse_wristband(typed_payload(self.manual))
        if isinstance(parsed, WristbandError):
            self.manual_problem = wristband_problem(parsed)
            return None
        return await self.submit(typed_payload(self.manual), "manual")

    async def camera_frame(self, data: bytes) -> PatientSummary | None:
        """One frame from the live camera: frames without a code are passed over quietly."""
        if self.decode_image is None:
            return None
        try:
            if not self.decode_image(data):
                return None
        except CodesDisagree:
            pass  # reported by submit_image below
        except ValueError:
            return None
        return await self.submit_image(data, "camera")

    async def submit_image(self, data: bytes, source: str = "file") -> PatientSummary | None:
        """A photo or camera frame: decode, look up, and check that every code names the patient."""
        self._payload = None
        found = await self._image(data, source)
        self._log(source, found)
        return found

    async def _image(self, data: bytes, source: str) -> PatientSummary | None:
        self.source = source
        if self.decode_image is None:
            self._fail(ScanStatus.INVALID, Problem("scan.no_decoder", retryable=False))
            return None
        try:
            texts = self.decode_image(data)
        except CodesDisagree:
            self._fail(ScanStatus.INVALID, Problem("scan.codes_disagree", retryable=False))
            return None
        except ValueError as error:
            self._fail(ScanStatus.INVALID, Problem("scan.unreadable_image", {"detail": str(error)},
                                                  retryable=False))
            return None
        if not texts:
            self._fail(ScanStatus.INVALID, Problem("scan.no_code_found", retryable=False))
            return None
        payloads = [parse_wristband(text) for text in texts]
        valid = [p for p in payloads if isinstance(p, WristbandPayload)]
        if not valid:
            first = payloads[0]
            assert isinstance(first, WristbandError)
            return await self._lookup(first.raw, source)
        found = await self._lookup(valid[0].raw, source)
        if found is not None:
            # A band carries the fødselsnummer and the GSRN: both must name the patient found.
            known = {found.identifier, found.gsrn}
            if any(p.identifier.value not in known for p in valid[1:]):
                self._fail(ScanStatus.INVALID, Problem("scan.codes_disagree", retryable=False))
                return None
        return found

    async def submit(self, raw: str, source: str) -> PatientSummary | None:
        """Look up the patient of one payload; returns them only when exactly one matches."""
        self._payload = None
        found = await self._lookup(raw, source)
        self._log(source, found)
        return found

    def _log(self, source: str, found: PatientSummary | None) -> None:
        """One usage event per scan: source, outcome and kind of code, never the number read."""
        refined = _PROBLEM_OUTCOMES.get(self.problem.key) if self.problem else None
        outcome = "success" if found is not None else refined or _OUTCOMES.get(self.status, "failure")
        attributes = {"source": source if source in ("scanner", "camera", "file", "manual") else "scanner"}
        if self._payload is not None:
            attributes["identifier"] = str(self._payload.kind)
            raw = self._payload.raw.lstrip()
            attributes["code"] = next((name for prefix, name in _SYMBOLOGIES.items() if raw.startswith(prefix)),
                                      "other")
        self.ctx.event("scan", duration_ms=elapsed_ms(self._started), outcome=outcome, **attributes)
        self._started = time.perf_counter()
        self._ended = True

    def leave(self) -> None:
        """The user left the scan screen: without any scan, that is a cancelled scan."""
        if not self._ended:
            self._ended = True
            self.ctx.event("scan", duration_ms=elapsed_ms(self._started), outcome="cancelled",
                           source="camera" if self.camera_on else "scanner")

    async def _lookup(self, raw: str, source: str) -> PatientSummary | None:
        self.source = source
        self.candidates = []
        parsed = parse_wristband(raw)
        if isinstance(parsed, WristbandError):
            self.decoded = parsed.raw_visible
            self._fail(ScanStatus.INVALID, wristband_problem(parsed))
            return None
        self._payload = parsed
        value = parsed.identifier.value
        self.decoded = value
        self.status = ScanStatus.LOOKING_UP
        self.problem = None
        found, problem = await guarded(self.ctx, lambda: self.ctx.client.search_patients_by_identifier(value))
        if problem is not None:
            self._fail(ScanStatus.ERROR, problem)
            return None
        matches: list[PatientSummary] = list(found)
        if not matches:
            self._fail(ScanStatus.NONE, Problem("scan.no_patient", {"number": value}, retryable=False))
            return None
        if len(matches) > 1:
            self.candidates = matches
            self._fail(ScanStatus.MANY, Problem("scan.many", {"count": len(matches)}, retryable=False))
            return None
        self.status = ScanStatus.FOUND
        self.manual = ""
        self.manual_problem = None
        return matches[0]

    def _fail(self, status: ScanStatus, problem: Problem) -> None:
        self.status = status
        self.problem = problem

    def reset(self) -> None:
        self.status = ScanStatus.IDLE
        self.problem = None
        self.candidates = []
        self.decoded = ""

    def forget(self) -> None:
        """The patients found and every number read or typed."""
        self.reset()
        self.manual = ""
        self.manual_problem = None
