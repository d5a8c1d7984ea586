"""``mock-epj token USER``: a tester's token by the real login, without a browser."""

from __future__ import annotations

import io
import json

import httpx
import pytest

from mock_epj.cli import main
from tests.support.mock_server import Server


def test_mock_epj_token_prints_a_working_token(shared_server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "lege1", "--url", shared_server.fhir, "--pin", "1234"]) == 0
    token = capsys.readouterr().out.strip()
    answer = httpx.get(f"{shared_server.fhir}/Patient", params={"_count": 1},
                       headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json()["resourceType"] == "Bundle"


def test_mock_epj_token_takes_the_pin_from_the_environment_and_prints_json(
        shared_server: Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCK_EPJ_PIN", "1234")
    monkeypatch.setenv("MOCK_EPJ_URL", shared_server.url)
    assert main(["token", "spl1", "--json", "--scope", "openid fhirUser user/*.rs"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["scope"] == "openid fhirUser user/*.rs" and answer["id_token"].count(".") == 2
    written = httpx.post(f"{shared_server.fhir}/Observation", json={"resourceType": "Observation"},
                         headers={"Authorization": f"Bearer {answer['access_token']}"})
    assert written.status_code == 403  # the scopes it asked for hold


def test_mock_epj_token_says_why_it_failed(shared_server: Server, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOCK_EPJ_PIN", raising=False)
    assert main(["token", "lege1", "--url", shared_server.url, "--pin", "0000"]) == 1
    assert "wrong username or PIN" in capsys.readouterr().err
    assert main(["token", "lege1", "--url", shared_server.url, "--pin", "1234", "--scope", "launch"]) == 1
    assert "invalid_scope" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["token", "lege1", "--url", shared_server.url]) == 2  # no PIN and nobody to ask
    assert "--pin" in capsys.readouterr().err
    assert main(["token", "lege1", "--url", "http://127.0.0.1:9", "--pin", "1234"]) == 1
    assert "cannot reach" in capsys.readouterr().err
