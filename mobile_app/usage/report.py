"""The evaluators' report: one self-contained HTML file (inline CSS and SVG, no scripts, no fetches)."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from math import nan

from mobile_app.usage import charts
from mobile_app.usage.analysis import FEATURES, LATENCY_EVENTS, UsageSummary
from mobile_app.usage.charts import number, percent
from mobile_app.usage.reading import ReadCounts

CHART_IDS = (
    "chart-daily-activity", "chart-weekly-trends", "chart-session-length", "chart-feature-by-role",
    "chart-feature-by-ward", "chart-patient-routes", "chart-time-to-patient", "chart-scan-success",
    "chart-latency", "chart-screen-latency", "chart-weekly-latency", "chart-note-delivery", "chart-errors",
    "chart-sus",
)

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:860px;
padding:16px;color:#1d1d1f;background:#fff}
h1{font-size:24px;margin:8px 0}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px}
.card{border:1px solid #ddd;border-radius:8px;padding:8px 10px}.card b{display:block;font-size:22px}
figure.chart{margin:12px 0 20px;border:1px solid #e3e3e3;border-radius:8px;padding:8px}
figcaption{font-weight:600;margin-bottom:4px}svg text{font-size:11px;fill:#333}svg .legend{font-size:12px}
svg .grid{stroke:#e6e6e6}svg .value{font-size:11px;fill:#111}
table{border-collapse:collapse;margin:6px 0;font-size:13px}th,td{border:1px solid #ddd;padding:2px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}.note,.muted{color:#555;font-size:13px}
"""

_EVENT_LABELS = {"patient_opened": "patient opened", "lab_view": "lab results", "trend_view": "trend chart",
                 "result_signed": "results signed", "note_created": "note saved", "break_glass_used": "break-glass",
                 "screen_shown": "screen shown", "app_start": "app start", "note_delivered": "queued note delivered"}


def _label(event: str) -> str:
    return _EVENT_LABELS.get(event, event.replace("_", " "))


def _card(title: str, value: str) -> str:
    return f'<div class="card"><b>{escape(value)}</b>{escape(title)}</div>'


def render_html(summary: UsageSummary, counts: ReadCounts | None = None, title: str = "Visitt usage report") -> str:
    s = summary
    period = f"{s.first_day} to {s.last_day}" if s.first_day else "no data"
    cards = "".join([
        _card("events", number(s.events)), _card("users (pseudonyms)", number(s.users)),
        _card("sessions", number(s.sessions)), _card("devices", number(s.devices)),
        _card("median session", f"{number(s.session_length_min.p50)} min"),
        _card("patients opened", number(s.event_counts.get("patient_opened", 0))),
        _card("scan success", percent(s.scan_success_rate())),
        _card("SUS mean", number(s.sus.mean) if s.sus else "–"),
    ])
    read = ""
    if counts is not None:
        read = (f'<p class="muted">Read {counts.files} file(s), {counts.records} records; '
                f"{counts.duplicates} duplicate(s) and {counts.unreadable} unreadable line(s) skipped.</p>")
    no_users = ('<p class="note">These logs carry no user pseudonyms (no key was configured), so users '
                "cannot be counted; sessions can.</p>") if s.events and not s.users else ""
    sections = [
        ("Activity", _activity(s)), ("Sessions", _sessions(s)), ("Features", _features(s)),
        ("Reaching a patient", _reaching(s)), ("Scanning", _scanning(s)), ("Speed", _speed(s)),
        ("Notes", _notes(s)), ("Errors and connectivity", _errors(s)), ("System Usability Scale", _sus(s)),
    ]
    body = "".join(f"<section><h2>{escape(name)}</h2>{content}</section>" for name, content in sections)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{escape(title)}</h1><p class=\"muted\">{escape(period)} (UTC days) · generated {generated}</p>"
            f'{read}{no_users}<div class="cards">{cards}</div>{body}</body></html>')


def _activity(s: UsageSummary) -> str:
    days = [d.day[5:] for d in s.daily]
    daily = charts.columns("chart-daily-activity", "Daily active users and sessions", days, {
        "users": [float(d.users) for d in s.daily], "sessions": [float(d.sessions) for d in s.daily]})
    weeks = [w.week if w.days == 7 else f"{w.week} ({w.days} d)" for w in s.weeks]
    weekly = charts.lines("chart-weekly-trends", "Trends over weeks", weeks, {
        "active users": [float(w.users) for w in s.weeks],
        "sessions per day": [w.sessions / w.days for w in s.weeks],
        "patients opened per session": [w.patient_opens / w.sessions if w.sessions else nan for w in s.weeks]},
        note="Weeks are ISO weeks; a week with fewer days of data says how many.",
        extra={"days": [float(w.days) for w in s.weeks], "patients opened": [float(w.patient_opens) for w in s.weeks],
               "searches": [float(w.searches) for w in s.weeks], "scans": [float(w.scans) for w in s.weeks],
               "errors": [float(w.errors) for w in s.weeks]})
    return daily + weekly


def _sessions(s: UsageSummary) -> str:
    spread = s.session_length_min
    note = (f"{spread.n} sessions; median {number(spread.p50)} min, p90 {number(spread.p90)} min. "
            f"By role: {', '.join(f'{r} {n}' for r, n in s.sessions_by_role.items()) or 'none'}.")
    labels = [label for label, _ in s.session_length_hist]
    return charts.columns("chart-session-length", "Session length", labels,
                          {"sessions": [float(n) for _, n in s.session_length_hist]}, note=note)


def _features(s: UsageSummary) -> str:
    roles = list(s.feature_by_role)
    by_role = charts.bars("chart-feature-by-role", "Feature use by role (events)", [_label(f) for f in FEATURES],
                          {role: [float(s.feature_by_role[role].get(f, 0)) for f in FEATURES] for role in roles})
    wards = list(s.feature_by_ward)
    shown = FEATURES[:5]
    by_ward = charts.bars("chart-feature-by-ward", "Feature use by ward (events)", wards,
                          {_label(f): [float(s.feature_by_ward[w].get(f, 0)) for w in wards] for f in shown},
                          note="The table has every feature; the chart shows the five most central.")
    # The table of the ward chart shows the shown features only; add the rest in a plain table.
    rest = "".join(f"<tr><td>{escape(w)}</td>" + "".join(
        f"<td>{number(s.feature_by_ward[w].get(f, 0))}</td>" for f in FEATURES) + "</tr>" for w in wards)
    head = "".join(f"<th>{escape(_label(f))}</th>" for f in FEATURES)
    table = (f"<details><summary>Every feature by ward</summary><table><thead><tr><th>ward</th>{head}</tr>"
             f"</thead><tbody>{rest}</tbody></table></details>") if wards else ""
    return by_role + by_ward + table


def _reaching(s: UsageSummary) -> str:
    total = sum(s.routes.values())
    routes = charts.bars("chart-patient-routes", "How patients are reached (share of patients opened)",
                         [v.replace("_", " ") for v in s.routes], {"share": [n / total for n in s.routes.values()]},
                         fmt=percent, scale_max=1.0, note=f"{total} patients opened.")
    login, start = s.to_patient_from_login_s, s.to_patient_from_start_s
    note = (f"From login to the first patient: median {number(login.p50)} s, p90 {number(login.p90)} s "
            f"({login.n} sessions). From app start: median {number(start.p50)} s, p90 {number(start.p90)} s "
            f"({start.n} starts).")
    to_patient = charts.columns("chart-time-to-patient", "Time from login to the first patient opened",
                                [label for label, _ in s.to_patient_hist],
                                {"sessions": [float(n) for _, n in s.to_patient_hist]}, note=note)
    return routes + to_patient


def _scanning(s: UsageSummary) -> str:
    labels = [*s.scans, "all"]
    rates = [s.scan_success_rate(source) for source in s.scans] + [s.scan_success_rate()]
    totals = [n for n, _ in s.scans.values()]
    note = "Scans per source: " + ", ".join(f"{src} {n}" for src, n in zip(s.scans, totals, strict=True))
    return charts.bars("chart-scan-success", "Scan success rate by source", labels if s.scans else [],
                       {"success": rates}, fmt=percent, scale_max=1.0, note=note + " (cancelled scans excluded).")


def _speed(s: UsageSummary) -> str:
    actions = [e for e in LATENCY_EVENTS if e in s.latency_ms and e != "note_delivered"]
    spreads = {e: s.latency_ms[e] for e in actions}
    latency = charts.bars("chart-latency", "Latency per action (ms): p50, p90, p95", [_label(e) for e in actions],
                          {"p50": [v.p50 for v in spreads.values()], "p90": [v.p90 for v in spreads.values()],
                           "p95": [v.p95 for v in spreads.values()]},
                          note="n per action: " + ", ".join(f"{_label(e)} {spreads[e].n}" for e in actions))
    screens = s.screen_latency_ms
    screen = charts.bars("chart-screen-latency", "Time until a screen's data is shown (ms): p50, p90",
                         [k.replace("_", " ") for k in screens],
                         {"p50": [v.p50 for v in screens.values()], "p90": [v.p90 for v in screens.values()]})
    weeks = [w.week if w.days == 7 else f"{w.week} ({w.days} d)" for w in s.weeks]
    weekly = charts.lines("chart-weekly-latency", "Opening a patient over weeks (median ms)", weeks,
                          {"patient opened p50": [w.patient_open_p50_ms for w in s.weeks]})
    return latency + screen + weekly


def _notes(s: UsageSummary) -> str:
    total = sum(s.note_delivery.values())
    note = ", ".join(f"{d}: median {number(s.note_delivery_ms[d].p50)} ms" for d in s.note_delivery
                     if d in s.note_delivery_ms) + " until saved or queued."
    later = s.latency_ms.get("note_delivered")
    if later is not None:
        note += (f" Queued notes reached the EPJ after a median {number(later.p50 / 1000)} s"
                 f" (p90 {number(later.p90 / 1000)} s, {later.n} notes).")
    return charts.bars("chart-note-delivery", f"Note delivery ({total} notes saved)", list(s.note_delivery),
                       {"notes": [float(n) for n in s.note_delivery.values()]}, note=note)


def _errors(s: UsageSummary) -> str:
    errors = charts.bars("chart-errors", "Errors shown, by type", [k.replace("_", " ") for k in s.errors],
                         {"errors": [float(n) for n in s.errors.values()]})
    logins = ", ".join(f"{_login_label(k)} {n}" for k, n in s.logins.items()) or "none"
    return (errors + f'<p class="note">Logins: {escape(logins)}. Offline: {s.offline_episodes} episode(s), '
            f"{number(s.offline_total_min)} min in all.</p>")


def _login_label(key: str) -> str:
    kind, _, reason = key.partition(":")
    return f"failed ({reason.replace('_', ' ')})" if reason else kind


def _sus(s: UsageSummary) -> str:
    sus = s.sus
    if sus is None:
        return charts.empty_figure("chart-sus", "SUS scores")
    note = (f"{sus.n} answers from {sus.respondents} user(s): mean {sus.mean:.1f}, median {sus.median:.1f}, "
            f"SD {sus.sd:.1f}; {sus.above_average} at or above the usual average of 68. Grades: "
            + ", ".join(f"{g} {n}" for g, n in sus.grades) + ". Scored the standard way: odd items answer - 1, "
            "even items 5 - answer, sum x 2.5.")
    return charts.columns("chart-sus", f"SUS scores (mean {sus.mean:.1f})", [label for label, _ in sus.histogram],
                          {"answers": [float(n) for _, n in sus.histogram]}, note=note)



def render_text(summary: UsageSummary, counts: ReadCounts | None = None) -> str:
    """The short summary printed by ``visitt-usage summary``."""
    s = summary
    lines = [f"Visitt usage {s.first_day} to {s.last_day} (UTC days)" if s.first_day else "Visitt usage: no records"]
    if counts is not None:
        lines.append(f"records {counts.records} from {counts.files} file(s); skipped {counts.duplicates} duplicate(s),"
                     f" {counts.unreadable} unreadable line(s)")
    lines.append(f"users {s.users}, sessions {s.sessions}, devices {s.devices}, events {s.events}")
    length = s.session_length_min
    lines.append(f"session length: median {number(length.p50)} min, p90 {number(length.p90)} min")
    opened = sum(s.routes.values())
    routes = ", ".join(f"{via.replace('_', ' ')} {percent(s.route_share(via))}" for via in s.routes)
    lines.append(f"patients opened {opened}: {routes or 'none'}")
    login = s.to_patient_from_login_s
    lines.append(f"login to first patient: median {number(login.p50)} s, p90 {number(login.p90)} s")
    per_source = ", ".join(f"{src} {percent(s.scan_success_rate(src))}" for src in s.scans)
    lines.append(f"scan success {percent(s.scan_success_rate())}" + (f" ({per_source})" if per_source else ""))
    lines.append("latency p50/p90/p95 ms: " + "; ".join(
        f"{_label(e)} {number(v.p50)}/{number(v.p90)}/{number(v.p95)}" for e, v in s.latency_ms.items()))
    notes = sum(s.note_delivery.values())
    lines.append(f"notes {notes}: " + ", ".join(f"{d} {percent(n / notes)}" for d, n in s.note_delivery.items()))
    lines.append("errors: " + (", ".join(f"{k} {n}" for k, n in s.errors.items()) or "none"))
    if s.sus is not None:
        lines.append(f"SUS: {s.sus.n} answers from {s.sus.respondents} user(s), mean {s.sus.mean:.1f}"
                     f" (median {s.sus.median:.1f}, SD {s.sus.sd:.1f})")
    else:
        lines.append("SUS: no answers")
    return "\n".join(lines) + "\n"
