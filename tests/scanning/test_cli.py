"""``python -m mobile_app.scan``: JSON lines for image files, exit status, errors as entries."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mobile_app.scan import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "assets" / "wristbands"
EXPECTED: dict[str, dict[str, Any]] = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
KEYS = ["file", "format", "text", "kind", "identifier", "system", "valid", "error"]


def run(*args: str | Path) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run([sys.executable, "-m", "mobile_app.scan", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.stderr == ""
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]


def test_the_sample_folder_gives_one_line_per_image_as_expected_and_fails_overall() -> None:
    status, records = run(SAMPLES)
    assert status == 1  # damaged.png and wrong-check-digit.png
    assert sorted(Path(r["file"]).name for r in records) == sorted(EXPECTED)
    for record in records:
        assert list(record) == KEYS
        expected = EXPECTED[Path(record["file"]).name]
        assert record["valid"] is expected["valid"]
        if expected["valid"]:
            assert record["error"] is None
            assert (record["kind"], record["identifier"], record["system"], record["format"]) == (
                expected["kind"], expected["identifier"], expected["system"], expected["format"])
        else:
            assert record["identifier"] is None
            assert isinstance(record["error"], str) and record["error"]


def test_gs1_text_is_shown_with_its_symbology_identifier() -> None:
    _, [record] = run(SAMPLES / "gs1-128.png")
    assert record["text"] == EXPECTED["gs1-128.png"]["codes"]["Code128"]
    assert record["text"].startswith("]C18018")


def test_an_invalid_band_says_why_in_words() -> None:
    _, [record] = run(SAMPLES / "wrong-check-digit.png")
    assert record["kind"] == "person_identifier"
    assert "check digit" in record["error"]


def test_a_folder_of_good_bands_exits_0(tmp_path: Path) -> None:
    for name, expected in EXPECTED.items():
        if expected["valid"]:
            shutil.copy(SAMPLES / name, tmp_path / name)
    status, records = run(tmp_path)
    assert status == 0
    assert len(records) == sum(e["valid"] for e in EXPECTED.values())


def test_missing_files_and_text_files_are_error_entries_not_tracebacks(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a picture", encoding="utf-8")
    status, records = run(tmp_path / "missing.png", text, SAMPLES / "good-1.png")
    assert status == 1
    assert [r["error"] for r in records[:2]] == ["file not found", "not an image (no known image format)"]
    assert all(r["valid"] is False and list(r) == KEYS for r in records[:2])
    assert records[2]["valid"] is True


def test_text_shows_control_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support.barcode_images import GSRN, encode, symbol

    path = tmp_path / "gs.png"
    path.write_bytes(encode(symbol(f"(8018){GSRN}(10)AB1", "DataMatrix", gs1=True)))
    assert main([str(path)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["text"] == f"]d28018{GSRN}<GS>10AB1"
