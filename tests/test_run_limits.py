"""The test run cannot stall or fill the disk: a browser test that hangs fails after its time limit
(and is rerun once) while the run goes on, and every other test has a looser limit; a passed test's
temporary folder is removed as it ends."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A conftest for the inner run that takes this project's collection hook, with a one-second limit.
INNER_CONFTEST = """
import tests.conftest as visitt_conftest
from tests.conftest import pytest_collection_modifyitems  # noqa: F401 (the hook under test)

visitt_conftest.E2E_TIMEOUT_S = 1
"""

INNER_TESTS = """
import time
import pytest

@pytest.mark.e2e
def test_a_page_that_never_answers():
    time.sleep(60)

@pytest.mark.e2e
@pytest.mark.timeout(30)
def test_one_that_names_its_own_limit():
    time.sleep(2)

def test_the_run_goes_on_after_it():
    assert True
"""


def _ini_options() -> dict[str, object]:
    return dict(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"])


def test_a_hung_browser_test_fails_after_its_limit_and_the_run_goes_on(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\nmarkers =\n    e2e: a browser test\n")
    pytester.makepyfile(test_inner=INNER_TESTS)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rR", timeout=240)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 1, result.stdout.str()
    assert outcomes.get("rerun") == 1, result.stdout.str()  # a hang is retried once, like any failure
    assert outcomes.get("passed") == 2, result.stdout.str()  # its own 30 s limit was kept, not 1 s
    result.stdout.fnmatch_lines(["*Timeout (>1.0s) from pytest-timeout*"])
    result.stdout.fnmatch_lines(["FAILED test_inner.py::test_a_page_that_never_answers*"])


def test_every_other_test_has_a_time_limit_that_fails_it_rather_than_ending_the_run() -> None:
    options = _ini_options()
    assert 0 < int(str(options["timeout"])) <= 900
    assert options["timeout_method"] == "signal"  # fails the test; "thread" would end the whole run


def test_a_passed_tests_folder_is_removed_as_it_ends(pytester: pytest.Pytester) -> None:
    """With this project's retention settings a run of database copies cannot fill the disk."""
    options = _ini_options()
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n" + "".join(
        f"{key} = {options[key]}\n" for key in ("tmp_path_retention_policy", "tmp_path_retention_count")))
    pytester.makepyfile(test_inner="""
def test_writes(tmp_path):
    (tmp_path / "copy.sqlite3").write_bytes(b"x" * 1000)

def test_fails(tmp_path):
    (tmp_path / "kept.sqlite3").write_bytes(b"x")
    assert False
""")
    base = pytester.path / "base"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--basetemp={base}")
    result.assert_outcomes(passed=1, failed=1)
    assert not list(base.rglob("copy.sqlite3"))
    assert list(base.rglob("kept.sqlite3"))
