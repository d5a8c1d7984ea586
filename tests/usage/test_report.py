"""The report's numbers on a small handmade log with known answers, the HTML, and the command."""

from __future__ import annotations

import csv
import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from mobile_app.services.usage.otlp import encode_batch
from mobile_app.services.usage.records import Origin, Pseudonymizer, SessionFields, make_record, to_line
from mobile_app.usage.analysis import UsageAnalysis, UsageSummary, percentile
from mobile_app.usage.cli import main
from mobile_app.usage.reading import ReadCounts, read_records
from mobile_app.usage.report import CHART_IDS, render_html, render_text
from mock_epj.collector import plain_attributes, plain_value
from tests.support.usage_logs import KEY

PHONE = Origin("1.2.3", "android", "a" * 32)
PSEUDONYM = Pseudonymizer(KEY)


def _at(iso: str) -> float:
    return datetime.fromisoformat(iso + "+00:00").timestamp()


def _session(sid: str, user: str, role: str, ward: str, iso: str) -> SessionFields:
    return SessionFields(sid, role, ward, PSEUDONYM("user", user), started=_at(iso))


def handmade_log() -> list[dict[str, Any]]:
    """Two users over two days; the answers are worked out in the tests below."""
    a1 = _session("s1", "prac-a", "doctor", "ward-med", "2026-03-02T08:00:00")
    b1 = _session("s2", "prac-b", "nurse", "ward-kir", "2026-03-02T09:00:00")
    a2 = _session("s3", "prac-a", "doctor", "ward-med", "2026-03-03T10:00:00")
    sus_best = {f"q{i}": 5 if i % 2 else 1 for i in range(1, 11)}
    sus_neutral = {f"q{i}": 3 for i in range(1, 11)}
    rows: list[tuple[str, SessionFields | None, str, dict[str, Any]]] = [
        ("2026-03-02T07:59:30", None, "app_start", {"duration_ms": 900}),
        ("2026-03-02T08:00:00", a1, "login", {"outcome": "success", "duration_ms": 300}),
        ("2026-03-02T08:00:30", a1, "search", {"duration_ms": 200, "outcome": "success",
                                               "attrs": {"kind": "name", "result_count": 2}}),
        ("2026-03-02T08:01:00", a1, "patient_opened", {"duration_ms": 400, "attrs": {"via": "search"}}),
        ("2026-03-02T08:10:00", a1, "scan", {"duration_ms": 100, "outcome": "success",
                                             "attrs": {"source": "scanner"}}),
        ("2026-03-02T08:10:05", a1, "patient_opened", {"duration_ms": 300, "attrs": {"via": "scan"}}),
        ("2026-03-02T08:12:00", a1, "note_created", {"duration_ms": 500, "attrs": {"delivery": "direct"}}),
        ("2026-03-02T08:30:00", a1, "session_end", {"duration_ms": 1_800_000, "attrs": {"reason": "logout"}}),
        ("2026-03-02T09:00:00", b1, "login", {"outcome": "success"}),
        ("2026-03-02T09:02:00", b1, "patient_opened", {"duration_ms": 600, "attrs": {"via": "ward_list"}}),
        ("2026-03-02T09:05:00", b1, "scan", {"duration_ms": 2000, "outcome": "no_code", "attrs": {"source": "camera"}}),
        ("2026-03-02T09:05:10", b1, "scan", {"duration_ms": 1000, "outcome": "success", "attrs": {"source": "camera"}}),
        ("2026-03-02T09:05:20", b1, "scan", {"outcome": "cancelled", "attrs": {"source": "camera"}}),
        ("2026-03-02T09:05:30", b1, "patient_opened", {"duration_ms": 200, "attrs": {"via": "scan"}}),
        ("2026-03-02T09:06:00", b1, "note_created", {"duration_ms": 900, "attrs": {"delivery": "queued"}}),
        ("2026-03-02T09:07:00", b1, "error", {"attrs": {"type": "timeout"}}),
        ("2026-03-02T09:19:00", b1, "sus_submitted", {"attrs": {"score": 100.0, **sus_best}}),
        ("2026-03-02T09:20:00", b1, "session_end", {"duration_ms": 1_200_000, "attrs": {"reason": "logout"}}),
        ("2026-03-03T10:00:00", a2, "login", {"outcome": "success"}),
        ("2026-03-03T10:00:45", a2, "patient_opened", {"duration_ms": 500, "attrs": {"via": "my_patients"}}),
        ("2026-03-03T10:01:00", a2, "patient_opened", {"duration_ms": 9999, "outcome": "denied",
                                                       "attrs": {"via": "search"}}),
        ("2026-03-03T10:05:00", a2, "sus_submitted", {"attrs": {"score": 50.0, **sus_neutral}}),
    ]
    return [make_record(PHONE, _at(iso), event, session=session, duration_ms=fields.get("duration_ms"),
                        outcome=fields.get("outcome"), attributes=fields.get("attrs"), record_id=f"{n:016x}")
            for n, (iso, session, event, fields) in enumerate(rows)]


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "logs" / "usage-2026-03-02.jsonl"
    path.parent.mkdir()
    path.write_text("".join(to_line(r) for r in handmade_log()), encoding="utf-8")
    return path


@pytest.fixture
def summary() -> UsageSummary:
    return UsageAnalysis().add_all(handmade_log()).summary()


def test_daily_active_users_and_sessions(summary: UsageSummary) -> None:
    assert (summary.users, summary.sessions, summary.devices) == (2, 3, 1)
    assert [(d.day, d.users, d.sessions) for d in summary.daily] == [("2026-03-02", 2, 2), ("2026-03-03", 1, 1)]
    assert [(w.week, w.days, w.users, w.sessions) for w in summary.weeks] == [("2026-W10", 2, 2, 3)]


def test_session_length_uses_session_end_else_first_to_last_event(summary: UsageSummary) -> None:
    spread = summary.session_length_min
    assert (spread.n, spread.p50, spread.mean) == (3, 20.0, 55 / 3)  # 30, 20 and 5 minutes


def test_how_patients_are_reached(summary: UsageSummary) -> None:
    assert summary.routes == {"search": 1, "scan": 2, "ward_list": 1, "my_patients": 1}  # denied not counted
    assert summary.route_share("scan") == 0.4 and summary.route_share("my_patients") == 0.2


def test_time_to_the_first_patient(summary: UsageSummary) -> None:
    assert summary.to_patient_from_login_s.n == 3
    assert summary.to_patient_from_login_s.p50 == 60.0  # 60 s, 120 s and 45 s
    assert summary.to_patient_from_start_s.n == 1 and summary.to_patient_from_start_s.p50 == 90.0


def test_scan_success_rate_leaves_out_cancelled_scans(summary: UsageSummary) -> None:
    assert summary.scans == {"scanner": (1, 1), "camera": (2, 1)}
    assert summary.scan_success_rate() == pytest.approx(2 / 3)
    assert summary.scan_success_rate("camera") == 0.5


def test_latency_percentiles_interpolate_between_ranks(summary: UsageSummary) -> None:
    opened = summary.latency_ms["patient_opened"]  # 200 300 400 500 600 and the denied 9999
    assert opened.n == 6
    assert opened.p50 == 450.0
    ordered = [200.0, 300.0, 400.0, 500.0, 600.0]
    assert (percentile(ordered, 50), percentile(ordered, 90), percentile(ordered, 95)) == (400.0, 560.0, 580.0)
    assert math.isnan(percentile([], 50))


def test_notes_errors_logins_and_features(summary: UsageSummary) -> None:
    assert summary.note_delivery == {"direct": 1, "queued": 1}
    assert summary.errors == {"timeout": 1}
    assert summary.logins == {"success": 3}
    assert summary.feature_by_role["doctor"]["patient_opened"] == 4
    assert summary.feature_by_role["nurse"] == {"patient_opened": 2, "scan": 3, "note_created": 1}
    assert summary.feature_by_ward["ward-kir"]["scan"] == 3


def test_sus_scores_are_rescored_from_the_answers(summary: UsageSummary) -> None:
    sus = summary.sus
    assert sus is not None
    assert (sus.n, sus.respondents, sus.mean, sus.median, sus.recomputed) == (2, 2, 75.0, 75.0, 2)
    assert sus.above_average == 1 and dict(sus.grades)["A (80.3 and above)"] == 1


def test_the_html_holds_every_chart_with_a_label_and_a_table(summary: UsageSummary) -> None:
    html = render_html(summary, ReadCounts(files=1, records=22))
    for chart_id in CHART_IDS:
        assert f'<figure class="chart" id="{chart_id}" aria-label=' in html
        figure = html.split(f'id="{chart_id}"', 1)[1].split("</figure>", 1)[0]
        assert "<svg" in figure and "<table>" in figure
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html


def test_an_empty_log_still_makes_a_report() -> None:
    html = render_html(UsageAnalysis().summary())
    assert all(f'id="{chart_id}"' in html for chart_id in CHART_IDS)
    assert "Visitt usage: no records" in render_text(UsageAnalysis().summary())


def test_values_in_a_log_cannot_inject_markup() -> None:
    record = handmade_log()[3]
    record["attrs"] = {"via": "<script>alert(1)</script>"}
    html = render_html(UsageAnalysis().add_all([record]).summary())
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_reading_skips_copies_and_reads_the_collector_export(log_file: Path, tmp_path: Path) -> None:
    records = handmade_log()
    batch = encode_batch(records, "batch-1")
    export = tmp_path / "export.jsonl"
    lines = []
    for index, log_record in enumerate(batch["resourceLogs"][0]["scopeLogs"][0]["logRecords"]):
        lines.append(json.dumps({
            "batch_id": "batch-1", "index": index,
            "resource": plain_attributes(batch["resourceLogs"][0]["resource"]["attributes"]),
            "timeUnixNano": log_record["timeUnixNano"], "eventName": log_record["eventName"],
            "body": plain_value(log_record["body"]), "attributes": plain_attributes(log_record["attributes"])}))
    export.write_text("\n".join([*lines, "not json", '{"other": 1}']) + "\n", encoding="utf-8")
    counts = ReadCounts()
    read = list(read_records([log_file, export], counts))
    assert read == records
    assert (counts.files, counts.records, counts.duplicates, counts.unreadable) == (2, 22, 22, 2)
    assert list(read_records([export])) == records


def test_the_command_writes_the_report_the_csv_and_the_summary(log_file: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(log_file.parent), "--html", str(tmp_path / "out" / "report.html")]) == 0
    assert 'id="chart-patient-routes"' in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert main(["export", str(log_file), "--csv", str(tmp_path / "flat.csv")]) == 0
    with open(tmp_path / "flat.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 22 and rows[3]["attr_via"] == "search" and rows[3]["event"] == "patient_opened"
    assert rows[1]["user_pseudonym"] == PSEUDONYM("user", "prac-a") and rows[0]["session_id"] == ""
    capsys.readouterr()
    assert main(["summary", str(log_file)]) == 0
    text = capsys.readouterr().out
    assert "users 2, sessions 3, devices 1, events 22" in text
    assert "scan 40.0 %" in text and "mean 75.0" in text
    assert main(["summary", str(tmp_path / "missing")]) == 2
