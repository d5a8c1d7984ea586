"""The usage record: one JSON object per event, the same on the device, in the collector's export
and in the simulator's output.

Field order and names (a field that does not apply is left out, never written as null):

    id                 random 64-bit record id (16 hex digits): lets a reader drop copies
    ts                 UTC time, ISO 8601 with milliseconds: 2026-03-02T08:15:30.123Z
    event              the event name from the registry
    app_version        the app's version
    platform           android, ios, linux, macos, windows, web or other
    install_id         random per installation (a file in the data directory); names no person
    session_id         random per login; absent before login
    role, ward         the logged-in user's role and ward (a Location id such as ward-med)
    user_pseudonym     HMAC-SHA256(key, "user:" + practitioner id), 32 hex digits; only with a key
    patient_pseudonym  HMAC-SHA256(key, "patient:" + patient id), 32 hex digits; only with a key
    duration_ms        what it measures depends on the event (see the registry)
    outcome            a code from the event's outcomes
    attrs              the event's attributes (codes, numbers, flags)
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mobile_app.services.private_files import create_private, write_private
from mobile_app.services.usage.registry import AttributeValue

FIELDS = ("id", "ts", "event", "app_version", "platform", "install_id", "session_id", "role", "ward",
          "user_pseudonym", "patient_pseudonym", "duration_ms", "outcome", "attrs")
PSEUDONYM_HEX = 32
MIN_KEY_BYTES = 16


class Pseudonymizer:
    """Keyed pseudonyms: the same id and key always give the same pseudonym, another key another.

    The key never leaves this object: it is not in its repr, and nothing writes it.
    """

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"The pseudonym key must be at least {MIN_KEY_BYTES} bytes")
        self._key = key

    def __call__(self, kind: str, value: str) -> str:
        digest = hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
        return digest[:PSEUDONYM_HEX]

    def __repr__(self) -> str:
        return "Pseudonymizer(key=<hidden>)"


def iso_utc(epoch_seconds: float) -> str:
    """2026-03-02T08:15:30.123Z (milliseconds, rounded)."""
    return iso_millis(round(epoch_seconds * 1000))


def iso_millis(millis: int) -> str:
    seconds, ms = divmod(millis, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{ms:03d}Z"


def utc_day(epoch_seconds: float) -> str:
    """The UTC date, which names the day's log file."""
    return time.strftime("%Y-%m-%d", time.gmtime(round(epoch_seconds * 1000) // 1000))


def new_record_id() -> str:
    return uuid.uuid4().hex[:16]


@dataclass(frozen=True)
class Origin:
    """What every record of this app run shares."""

    app_version: str
    platform: str
    install_id: str


@dataclass(frozen=True)
class SessionFields:
    """What every record of one login shares (pseudonym already made, or None without a key)."""

    session_id: str
    role: str
    ward: str | None
    user_pseudonym: str | None
    started: float = field(compare=False)


def make_record(origin: Origin, at: float, event: str, *, session: SessionFields | None = None,
                patient_pseudonym: str | None = None, duration_ms: float | None = None,
                outcome: str | None = None, attributes: dict[str, AttributeValue] | None = None,
                record_id: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"id": record_id or new_record_id(), "ts": iso_utc(at), "event": event,
                              "app_version": origin.app_version, "platform": origin.platform,
                              "install_id": origin.install_id}
    if session is not None:
        record["session_id"] = session.session_id
        record["role"] = session.role
        if session.ward is not None:
            record["ward"] = session.ward
        if session.user_pseudonym is not None:
            record["user_pseudonym"] = session.user_pseudonym
    if patient_pseudonym is not None:
        record["patient_pseudonym"] = patient_pseudonym
    if duration_ms is not None:
        record["duration_ms"] = round(float(duration_ms), 1)
    if outcome is not None:
        record["outcome"] = outcome
    if attributes:
        record["attrs"] = attributes
    return record


def to_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def load_install_id(directory: Path) -> str:
    """This installation's random id, made and saved on first use (32 hex digits, a 0600 file)."""
    path = directory / "install-id"
    stored = _read_install_id(path)
    if stored is not None:
        return stored
    install_id = uuid.uuid4().hex
    if path.exists():  # damaged: replaced
        write_private(path, f"{install_id}\n".encode("ascii"))
        return install_id
    if not create_private(path, f"{install_id}\n".encode("ascii")):  # another process made it first
        return _read_install_id(path) or install_id
    return install_id


def _read_install_id(path: Path) -> str | None:
    with contextlib.suppress(OSError, UnicodeDecodeError):
        text = path.read_text(encoding="ascii").strip()
        if len(text) == 32 and all(c in "0123456789abcdef" for c in text):
            return text
    return None
