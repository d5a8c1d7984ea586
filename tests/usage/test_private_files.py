"""Every file the app and its usage tooling write that holds a secret or could hold patient-related
data is the user's alone (0600, directories 0700) from the moment it exists.

The tests run with umask 0 and with chmod made to do nothing: a file written first and chmod-ed
afterwards (readable by others in between) then shows the mode it was created with."""

from __future__ import annotations

import argparse
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import keyring
import pytest

from mobile_app.domain.writing import NoteDraft
from mobile_app.services.outbox_items import new_item
from mobile_app.services.outbox_store import EncryptedOutboxStore
from mobile_app.services.private_files import (
    create_private,
    open_private_append,
    private_directory,
    write_private,
)
from mobile_app.services.usage import SusSchedule, UsageConfig, UsageLog
from mobile_app.services.usage.files import LogFiles, Spool
from mobile_app.services.usage.records import load_install_id
from mobile_app.usage import cli as usage_cli
from mobile_app.usage.simulate import SimulationConfig, simulate
from tests.support.memory_keyring import MemoryKeyring


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def no_umask_no_chmod(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """umask 0, and chmod that changes nothing: what a file is created with is what it keeps."""
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: None)
    if hasattr(os, "fchmod"):
        monkeypatch.setattr(os, "fchmod", lambda *args, **kwargs: None)
    previous = os.umask(0)
    yield
    os.umask(previous)


def assert_private_tree(root: Path, *, top: Path | None = None) -> list[Path]:
    """Every file under ``root`` is 0600 and every directory from ``top`` down is 0700."""
    files = [p for p in root.rglob("*") if p.is_file()]
    for path in files:
        assert mode(path) == 0o600, f"{path} is {oct(mode(path))}"
    for directory in [p for p in root.rglob("*") if p.is_dir()] + ([root] if top is None else []):
        assert mode(directory) == 0o700, f"{directory} is {oct(mode(directory))}"
    return files


def test_the_demo_pseudonym_key_is_created_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from visitt import cli

    usage_dir = tmp_path / "data" / "usage"
    monkeypatch.setenv("VISITT_USAGE_DIR", str(usage_dir))
    monkeypatch.setenv("VISITT_USAGE_CONFIG", str(tmp_path / "no-such.toml"))
    for variable in ("VISITT_USAGE_KEY", "VISITT_USAGE_KEY_FILE", "VISITT_USAGE_COLLECTOR", "VISITT_USAGE_ENABLED"):
        monkeypatch.delenv(variable, raising=False)
    args = argparse.Namespace(no_usage_log=False, epj_url=None)
    usage = cli._usage_log(args, "http://127.0.0.1:9/fhir")
    try:
        assert usage.config.key is not None
    finally:
        usage.close()
    key = usage_dir / "demo-pseudonym.key"
    assert mode(key) == 0o600
    assert mode(usage_dir) == 0o700 and mode(usage_dir.parent) == 0o700
    again = cli._usage_log(args, "http://127.0.0.1:9/fhir")  # the next start keeps the same key
    again.close()
    assert again.config.key == usage.config.key


def test_the_usage_log_day_files_spool_install_id_and_sus_schedule(tmp_path: Path) -> None:
    directory = tmp_path / "usage"
    usage = UsageLog(UsageConfig(directory=directory, collector_url="http://127.0.0.1:9", key=b"k" * 32,
                                 strict=True, write_interval_s=0.05, batch_interval_s=0.01,
                                 backoff_base_s=60, request_timeout_s=0.2))
    try:
        usage.start_session("prac-001", "doctor", "ward-med")
        usage.event("patient_opened", via="search", patient_id="pat-000001", duration_ms=10.0, outcome="success")
        usage.flush(1.0)  # written to the day file and spooled; the collector is not there
    finally:
        usage.close(0.5)
    schedule = SusSchedule.in_directory(directory, every_sessions=1)
    schedule.session_completed()
    files = {p.relative_to(directory).parts[0] for p in assert_private_tree(directory)}
    assert {"install-id", "spool"} <= files and any(name.startswith("usage-") for name in files)
    assert any(name.startswith("sus") for name in files), files


def test_the_usage_files_one_by_one(tmp_path: Path) -> None:
    load_install_id(tmp_path / "a")
    logs = LogFiles(tmp_path / "b")
    logs.open()
    logs.append("2026-03-01", b"{}\n")
    logs.close()
    spool = Spool(tmp_path / "c")
    spool.open()
    spool.add("batch-1", b"{}")
    assert len(assert_private_tree(tmp_path, top=tmp_path)) == 3


def test_the_outbox_file_and_its_directory(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        store = EncryptedOutboxStore(tmp_path / "data" / "outbox")
        draft = NoteDraft(patient_id="pat-000001", author_id="prac-001", text="Privat")
        store.save("prac-001", [new_item(draft, draft.client_id, datetime.now(UTC))])
    finally:
        keyring.set_keyring(previous)
    assert len(assert_private_tree(tmp_path / "data")) == 1


def test_the_usage_tools_exports_reports_and_simulations(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    simulate(SimulationConfig(users=3, days=2), logs)
    assert assert_private_tree(logs)
    out = tmp_path / "out"
    assert usage_cli.main(["export", "--csv", str(out / "usage.csv"), *map(str, logs.glob("*.jsonl"))]) == 0
    assert usage_cli.main(["report", "--html", str(out / "report.html"), *map(str, logs.glob("*.jsonl"))]) == 0
    assert len(assert_private_tree(out)) == 2
    assert (out / "usage.csv").read_text(encoding="utf-8").startswith("id,ts,event")


def test_the_helpers(tmp_path: Path) -> None:
    private_directory(tmp_path / "x" / "y")
    write_private(tmp_path / "x" / "replaced", b"1")
    write_private(tmp_path / "x" / "replaced", b"2")
    assert create_private(tmp_path / "x" / "y" / "once", b"first")
    assert not create_private(tmp_path / "x" / "y" / "once", b"second")  # never overwritten
    with open_private_append(tmp_path / "x" / "appended") as handle:
        handle.write(b"a")
    assert (tmp_path / "x" / "replaced").read_bytes() == b"2"
    assert (tmp_path / "x" / "y" / "once").read_bytes() == b"first"
    assert len(assert_private_tree(tmp_path / "x")) == 3
    assert not list((tmp_path / "x").rglob("*.tmp"))


def test_a_planted_symlink_is_not_followed(tmp_path: Path) -> None:
    """Appending to a day file an attacker replaced with a link to another of the user's files."""
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep")
    link = tmp_path / "usage-2026-03-01.jsonl"
    link.symlink_to(victim)
    with pytest.raises(OSError):
        open_private_append(link)
    assert victim.read_bytes() == b"keep"
