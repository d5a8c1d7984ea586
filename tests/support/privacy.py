"""Privacy checks for usage logs, reusable by any test: no identity may appear in a log line.

``identities(db)`` lists what must never leave a phone, from a seeded mock EPJ database: every
patient's and practitioner's name (whole, and each part), person number, D-number, GSRN and raw
FHIR id. ``assert_no_identities(lines, forbidden)`` fails on the first line that contains one
(names as whole words, case-insensitive; numbers anywhere but inside a longer run of hex
digits; ids anywhere), naming the line and the hit.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path

_LETTER = r"0-9A-Za-zÆØÅæøåÀ-ÿ"


def identities(db: Path) -> list[str]:
    """Names, identifiers and ids of every Patient and Practitioner in the mock EPJ database."""
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute(
            "SELECT id, body FROM resources WHERE type IN ('Patient', 'Practitioner')").fetchall()
    finally:
        connection.close()
    found: set[str] = set()
    for resource_id, body in rows:
        resource = json.loads(body)
        found.add(resource_id)
        for name in resource.get("name", []):
            parts = [name.get("text"), name.get("family"), *name.get("given", [])]
            found.update(part for part in parts if part)
        found.update(i["value"] for i in resource.get("identifier", []) if i.get("value"))
    return sorted(found)


def _pattern(forbidden: Iterable[str]) -> re.Pattern[str]:
    alternatives = []
    for item in sorted({f.strip() for f in forbidden if f and f.strip()}, key=len, reverse=True):
        if any(c.isalpha() for c in item) and not any(c.isdigit() for c in item):
            alternatives.append(rf"(?<![{_LETTER}]){re.escape(item)}(?![{_LETTER}])")  # a word
        elif item.isdigit():
            # A number (person number, D-number, GSRN, HPR number) anywhere except inside a longer run
            # of hex digits: a nanosecond timestamp or a random hex id holds a 7-digit HPR number now
            # and then by chance.
            alternatives.append(rf"(?<![0-9A-Fa-f]){re.escape(item)}(?![0-9A-Fa-f])")
        else:
            alternatives.append(re.escape(item))  # an id: anywhere
    return re.compile("|".join(alternatives) or r"(?!x)x", re.IGNORECASE)


def assert_no_identities(lines: Iterable[str], forbidden: Iterable[str]) -> int:
    """Fail on the first line holding a forbidden string; returns how many lines were checked."""
    pattern = _pattern(forbidden)
    checked = 0
    for number, line in enumerate(lines, start=1):
        checked += 1
        hit = pattern.search(line)
        if hit is not None:
            raise AssertionError(f"line {number} holds the identity {hit.group(0)!r}: {line[:300]}")
    return checked


def log_lines(*paths: Path) -> list[str]:
    """Every line of every file below ``paths`` (day files, spooled batches, exports)."""
    lines: list[str] = []
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            lines.extend(file.read_text(encoding="utf-8", errors="replace").splitlines())
    return lines
