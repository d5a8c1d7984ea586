"""Privacy of the usage log, end to end: after every other browser scenario has run (this test is
ordered last), every line the apps logged on the "phone" and every record their collectors stored
is scanned for any seeded patient's or practitioner's name, person number, GSRN or id, and for
every text the scenarios typed. A single hit fails the test."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.support.browser import ARTEFACTS, STARTED_APPS, TYPED, RunningApp
from tests.support.privacy import assert_no_identities, identities, log_lines

pytestmark = pytest.mark.e2e(last=True)  # it reads what the other browser tests logged


def _typed_secrets() -> list[str]:
    """What was typed, minus what cannot identify anyone: the demo PIN and one- to five-digit numbers
    (they occur in durations and counts)."""
    return [text for text in TYPED if text.strip() and not (text.strip().isdigit() and len(text.strip()) < 6)]


def test_no_identity_or_typed_text_in_any_usage_line(app_server: RunningApp, seeded_db: Path) -> None:
    app_server.collect_usage()  # the session's app still runs: take what its collector holds now
    assert len(STARTED_APPS) >= 2, "the scenarios ran in more than one app"
    day_lines = [line for app in STARTED_APPS for path in sorted(app.usage_dir.glob("usage-*.jsonl"))
                 for line in path.read_text(encoding="utf-8").splitlines()]
    collected = [line for app in STARTED_APPS if (app.usage_dir / "collected.jsonl").exists()
                 for line in (app.usage_dir / "collected.jsonl").read_text(encoding="utf-8").splitlines()]
    every_line = log_lines(*(app.usage_dir for app in STARTED_APPS))  # day files, spool, collected
    # The scan is only worth something if the scenarios were logged and delivered.
    counts = Counter(json.loads(line)["event"] for line in day_lines)
    ARTEFACTS.parent.mkdir(parents=True, exist_ok=True)  # what the scenarios logged, for a look
    (ARTEFACTS.parent / "usage-events.json").write_text(json.dumps(dict(counts.most_common()), indent=1))
    events = set(counts)
    for expected in ("app_start", "login", "search", "patient_opened", "screen_shown", "session_end"):
        assert expected in events, f"no {expected} event was logged"
    assert len(day_lines) >= 20
    assert len(collected) >= len(day_lines) // 2, "most records reached the collectors"
    assert all(json.loads(line).get("resource", {}).get("service.instance.id") for line in collected[:5])
    forbidden = [*identities(seeded_db), *_typed_secrets()]
    assert len(_typed_secrets()) >= 5 and any(" " in text for text in _typed_secrets())
    checked = assert_no_identities(every_line, forbidden)
    assert checked >= len(day_lines) + len(collected)
