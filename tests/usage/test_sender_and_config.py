"""How batches are sent (what is retried, what is dropped) and how an evaluation configures the log."""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from mobile_app.services.usage import UsageConfig
from mobile_app.services.usage.sender import logs_endpoint
from tests.support.usage_logs import KEY, MakeLog


def test_a_batch_the_collector_cannot_read_is_dropped_and_counted(make_log: MakeLog) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["X-Batch-Id"])
        return httpx.Response(400, json={"code": 3, "message": "bad"})

    usage = make_log(collector_url="http://collector.test", transport=httpx.MockTransport(answer))
    usage.event("offline")
    assert usage.flush(5)
    assert len(seen) == 1 and usage.stats().dropped["batches_refused"] == 1
    assert usage.stats().batches_pending == 0


@pytest.mark.parametrize("status", [401, 404, 429, 500, 502, 503])
def test_other_failures_are_retried_with_the_same_batch_id(make_log: MakeLog, status: int) -> None:
    tries: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        tries.append(request)
        return httpx.Response(status if len(tries) < 3 else 200, json={"partialSuccess": {}})

    usage = make_log(collector_url="http://collector.test", transport=httpx.MockTransport(answer))
    usage.event("offline")
    assert usage.flush(5)
    assert len(tries) == 3 and len({t.headers["X-Batch-Id"] for t in tries}) == 1
    assert all(t.url.path == "/v1/logs" and t.headers["Content-Type"] == "application/json" for t in tries)
    assert len({t.content for t in tries}) == 1


def test_the_batch_is_otlp_json_with_the_documented_resource(make_log: MakeLog) -> None:
    bodies: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json={"partialSuccess": {}})

    usage = make_log(collector_url="http://collector.test/v1/logs", transport=httpx.MockTransport(answer), key=KEY)
    usage.start_session("prac-001", "doctor", "ward-med")
    usage.event("search", kind="name", result_count=3, duration_ms=120.0, outcome="success")
    assert usage.flush(5)
    [resource_logs] = bodies[0]["resourceLogs"]
    resource = {kv["key"]: kv["value"] for kv in resource_logs["resource"]["attributes"]}
    assert resource["service.name"] == {"stringValue": "visitt"}
    assert resource["service.version"] == {"stringValue": "1.2.3"}
    assert resource["os.type"] == {"stringValue": "linux"} and resource["visitt.platform"] == {"stringValue": "android"}
    assert "visitt.batch.id" in resource and "service.instance.id" in resource
    [scope_logs] = resource_logs["scopeLogs"]
    assert scope_logs["scope"] == {"name": "visitt.usage", "version": "1"}
    [log_record] = scope_logs["logRecords"]
    attributes = {kv["key"]: kv["value"] for kv in log_record["attributes"]}
    assert log_record["body"] == {"stringValue": "search"} and log_record["severityNumber"] == 9
    assert isinstance(log_record["timeUnixNano"], str) and int(log_record["timeUnixNano"]) > 1.7e18
    assert attributes["event.name"] == {"stringValue": "search"}
    assert attributes["visitt.attr.result_count"] == {"intValue": "3"}
    assert attributes["visitt.duration_ms"] == {"doubleValue": 120.0}
    assert attributes["visitt.user.role"] == {"stringValue": "doctor"}


def test_backoff_grows_and_flush_gives_up_at_its_timeout(make_log: MakeLog) -> None:
    times: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        times.append(time.monotonic())
        return httpx.Response(503)

    usage = make_log(collector_url="http://collector.test", transport=httpx.MockTransport(answer),
                     backoff_base_s=0.05, backoff_max_s=0.4)
    usage.event("offline")
    started = time.monotonic()
    assert not usage.flush(1.0)
    assert 0.9 < time.monotonic() - started < 1.5
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert 4 <= len(times) <= 10 and gaps[-1] > gaps[0] and max(gaps) <= 0.4 * 1.2 + 0.05


def test_the_endpoint_is_derived_from_the_collector_url() -> None:
    assert logs_endpoint("http://127.0.0.1:8080") == "http://127.0.0.1:8080/v1/logs"
    assert logs_endpoint("https://c.example/otlp/v1/logs/") == "https://c.example/otlp/v1/logs"


def test_configuration_from_a_toml_file_and_the_environment(tmp_path: Path) -> None:
    key_file = tmp_path / "usage.key"
    key_file.write_bytes(KEY + b"\n")
    key_file.chmod(0o600)
    config_file = tmp_path / "usage.toml"
    config_file.write_text(f'enabled = true\ncollector_url = "http://10.0.0.2:4318"\nkey_file = "{key_file}"\n'
                           f'directory = "{tmp_path / "logs"}"\nmax_mb = 5\n', encoding="utf-8")
    config = UsageConfig.load({}, config_file)
    assert (config.enabled, config.collector_url, config.key) == (True, "http://10.0.0.2:4318", KEY)
    assert config.directory == tmp_path / "logs" and config.max_bytes == 5 * 1024 * 1024
    overridden = UsageConfig.load({"VISITT_USAGE_ENABLED": "false", "VISITT_USAGE_KEY": "x" * 20,
                                   "VISITT_USAGE_CONFIG": str(config_file)})
    assert overridden.enabled is False and overridden.key == b"x" * 20
    assert "key" not in repr(overridden).replace("key_", "")
    bare = UsageConfig.load({}, tmp_path / "missing.toml")
    assert bare.key is None and bare.collector_url is None and bare.enabled
    with pytest.raises(ValueError):
        UsageConfig.load({"VISITT_USAGE_ENABLED": "perhaps"}, tmp_path / "missing.toml")
    assert bare.batch_interval_s == 30.0
    quick = UsageConfig.load({"VISITT_USAGE_BATCH_SECONDS": "1.5"}, tmp_path / "missing.toml")
    assert quick.batch_interval_s == 1.5
    with pytest.raises(ValueError):
        UsageConfig.load({"VISITT_USAGE_BATCH_SECONDS": "0"}, tmp_path / "missing.toml")


def test_a_setting_that_is_not_a_number_is_named(tmp_path: Path) -> None:
    for variable, name in (("VISITT_USAGE_BATCH_SECONDS", "batch_seconds"), ("VISITT_USAGE_MAX_MB", "max_mb")):
        with pytest.raises(ValueError, match=f"{name} must be a number, not 'abc'"):
            UsageConfig.load({variable: "abc"}, tmp_path / "missing.toml")


def test_the_launcher_runs_without_usage_logging_when_the_configuration_is_bad(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from visitt.cli import _usage_log, build_parser

    monkeypatch.setenv("VISITT_USAGE_CONFIG", str(tmp_path / "missing.toml"))
    monkeypatch.setenv("VISITT_USAGE_DIR", str(tmp_path / "usage"))
    monkeypatch.setenv("VISITT_USAGE_KEY", "too short")
    log = _usage_log(build_parser().parse_args([]), "http://127.0.0.1:9/fhir")
    try:
        assert not log.enabled
        out = capsys.readouterr().out
        assert "the evaluation's usage configuration is not valid" in out and "at least 16 bytes" in out
        assert "too short" not in out  # the key itself is never printed
    finally:
        log.close()


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_key_other_users_can_read_is_refused(tmp_path: Path) -> None:
    """With the key, anyone can tell whose a pseudonym is: it must be its owner's alone."""
    key_file = tmp_path / "usage.key"
    key_file.write_bytes(KEY)
    key_file.chmod(0o644)
    with pytest.raises(ValueError, match="chmod 600"):
        UsageConfig.load({"VISITT_USAGE_KEY_FILE": str(key_file)}, tmp_path / "missing.toml")
    config_file = tmp_path / "usage.toml"
    config_file.write_text(f'key = "{KEY.decode()}"\n', encoding="utf-8")
    config_file.chmod(0o640)
    with pytest.raises(ValueError, match="chmod 600"):
        UsageConfig.load({}, config_file)
    key_file.chmod(0o600)
    config_file.chmod(0o600)
    assert UsageConfig.load({"VISITT_USAGE_KEY_FILE": str(key_file)}, tmp_path / "missing.toml").key == KEY
    assert UsageConfig.load({}, config_file).key == KEY
    config_file.chmod(0o644)  # a readable configuration is fine when its key is not used
    assert UsageConfig.load({"VISITT_USAGE_KEY": "y" * 20}, config_file).key == b"y" * 20
