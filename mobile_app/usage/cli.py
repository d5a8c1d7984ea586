"""``visitt-usage``: the evaluators' command for usage logs (report, export, summary, simulate)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from mobile_app.services.private_files import replacing_privately, write_private
from mobile_app.services.usage.records import FIELDS
from mobile_app.services.usage.registry import EVENTS
from mobile_app.usage.analysis import UsageAnalysis
from mobile_app.usage.reading import ReadCounts, read_records
from mobile_app.usage.report import render_html, render_text
from mobile_app.usage.simulate import SimulationConfig, simulate

ATTRIBUTE_COLUMNS = sorted({name for spec in EVENTS.values() for name in spec.attributes})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="visitt-usage", description="Usage logs of Visitt, for evaluators.")
    commands = parser.add_subparsers(dest="command", required=True)
    logs_help = "JSON Lines files or folders of them: device logs and/or the collector's /v1/logs/export"
    report = commands.add_parser("report", help="one self-contained HTML report with charts")
    report.add_argument("logs", nargs="+", type=Path, help=logs_help)
    report.add_argument("--html", type=Path, required=True, help="where to write the report")
    report.add_argument("--title", default="Visitt usage report")
    export = commands.add_parser("export", help="every record as one flat CSV row")
    export.add_argument("logs", nargs="+", type=Path, help=logs_help)
    export.add_argument("--csv", type=Path, required=True, help="where to write the CSV")
    summary = commands.add_parser("summary", help="a short text summary on stdout")
    summary.add_argument("logs", nargs="+", type=Path, help=logs_help)
    sim = commands.add_parser("simulate", help="write a realistic simulated log")
    sim.add_argument("--users", type=int, default=50)
    sim.add_argument("--days", type=int, default=30)
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--start", type=date.fromisoformat, default=SimulationConfig.start,
                     help="first day, YYYY-MM-DD (default %(default)s)")
    sim.add_argument("--out", type=Path, required=True, help="folder for the usage-YYYY-MM-DD.jsonl files")
    return parser


def write_csv(logs: Sequence[Path], target: Path, counts: ReadCounts) -> int:
    columns = [f for f in FIELDS if f != "attrs"] + [f"attr_{name}" for name in ATTRIBUTE_COLUMNS] + ["other_attrs"]
    known = set(ATTRIBUTE_COLUMNS)
    rows = 0
    with replacing_privately(target) as file:  # pseudonyms: the evaluator's alone (0600) until shared
        handle = io.TextIOWrapper(file, encoding="utf-8", newline="")
        writer = csv.writer(handle)
        writer.writerow(columns)
        for record in read_records(logs, counts):
            attrs = record.get("attrs") or {}
            other = {k: v for k, v in attrs.items() if k not in known}
            writer.writerow([_cell(record.get(f)) for f in FIELDS if f != "attrs"]
                            + [_cell(attrs.get(name)) for name in ATTRIBUTE_COLUMNS]
                            + [json.dumps(other, sort_keys=True) if other else ""])
            rows += 1
        handle.flush()
        handle.detach()  # the file itself is closed (and renamed into place) by replacing_privately
    return rows


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    counts = ReadCounts()
    try:
        if args.command == "simulate":
            started = time.perf_counter()
            result = simulate(SimulationConfig(args.users, args.days, args.seed, args.start), args.out)
            print(f"Wrote {result.records} records in {len(result.files)} day files to {args.out}"
                  f" ({time.perf_counter() - started:.1f} s)")
        elif args.command == "export":
            rows = write_csv(args.logs, args.csv, counts)
            print(f"Wrote {rows} rows to {args.csv}")
        else:
            summary = UsageAnalysis().add_all(read_records(args.logs, counts)).summary()
            if args.command == "summary":
                sys.stdout.write(render_text(summary, counts))
            else:
                write_private(args.html, render_html(summary, counts, args.title).encode("utf-8"))
                print(f"Wrote {args.html} ({counts.records} records)")
    except (FileNotFoundError, ValueError) as error:
        print(f"visitt-usage: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
