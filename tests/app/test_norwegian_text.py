"""Norwegian number formats and the language items of issue 13: decimal comma, raised powers of ten,
why the app is locked, what a logout warns of, scan errors without barcode codes, allergy wording,
and Flutter's own screen-reader texts in the user's language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mobile_app.domain.models import LabFlag, Measurement
from mobile_app.ui import format as fmt
from mobile_app.ui.app import LOCALES
from mobile_app.ui.components.lab import reference, value_text
from mobile_app.ui.messages import CATALOGUE, Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.scan import readable_code, wristband_problem
from tests.support.fake_epj.labs import lab_result


@pytest.mark.parametrize(("value", "shown"), [(5.4, "5,4"), (0.02, "0,02"), (145.0, "145"), (20057.0, "20\u00a0057"),
                                              (-1.5, "-1,5"), (1234.5, "1\u00a0234,5"), (0.0001, "0,0001")])
def test_numbers_have_a_decimal_comma(value: float, shown: str) -> None:
    assert fmt.number(value) == shown


@pytest.mark.parametrize("unit", ["10^9/L", "10*9/L", "10E9/L", "10**9/L"])
def test_powers_of_ten_are_raised(unit: str) -> None:
    assert fmt.unit(unit) == "10⁹/L"
    assert fmt.unit("10^12/L") == "10¹²/L" and fmt.unit("mmol/L") == "mmol/L"


def test_lab_values_ranges_and_vitals_are_written_the_norwegian_way() -> None:
    t = Messages("nb")
    leuko = lab_result("l1", "B-Leukocytter", "NOR05177", 12.4, "10^9/L", 3.5, 10.0, LabFlag.HIGH,
                       datetime.now(UTC))
    assert value_text(t, leuko) == "12,4 10⁹/L" and reference(leuko) == "3,5–10"
    temp = Measurement(id="v", code="8310-5", name="Temperatur", value=38.7, unit="Cel")
    assert fmt.measured(temp) == "38,7"
    less = Measurement(id="c", code="x", name="P-CRP", value=5, comparator="<", unit="mg/L")
    assert fmt.with_unit(fmt.measured(less), less.unit) == "<5 mg/L"


async def test_a_manual_lock_does_not_say_the_app_was_idle(writer: AppState) -> None:
    writer.flow.lock_now()
    assert writer.flow.locked_by == "manual"
    t = Messages("nb")
    assert "ikke var i bruk" not in t(f"lock.body.{writer.flow.locked_by}", name="Kari")
    assert "ikke var i bruk" in t("lock.body.idle", name="Kari")


async def test_the_logout_warning_promises_encryption_only_with_a_secure_store(writer: AppState) -> None:
    assert writer.ctx.outbox is not None and not writer.ctx.outbox.persistent  # a memory store here
    assert not writer.flow.unsent_kept
    assert "kryptert" not in Messages("nb")("logout.unsent_lost", count=1)
    assert "kryptert" in Messages("nb")("logout.unsent", count=1)


def test_scan_errors_show_the_number_not_the_barcode_codes() -> None:
    from mobile_app.domain.wristband import WristbandError, parse_wristband

    for raw in ("(8018)708000000000000129", "]d28018708000000000000129"):  # a wrong check digit
        result = parse_wristband(raw)
        assert isinstance(result, WristbandError)
        problem = wristband_problem(result)
        text = Messages("nb")(problem.key, **problem.params)
        assert "8018" not in text and "708000000000000129" in text, text
    assert readable_code("<GS>8018708000000000000129") == "708000000000000129"
    assert "8018" not in "".join(CATALOGUE["scan.reason.gs1_without_gsrn"])


def test_allergy_criticality_is_said_in_words_a_clinician_uses() -> None:
    t = Messages("nb")
    assert t("pt.criticality.high") == "Høy risiko for alvorlig reaksjon"
    assert "kritikalitet" not in " ".join(t(f"pt.criticality.{c}") for c in ("high", "low", "unable-to-assess"))


def test_flutter_speaks_the_app_language() -> None:
    """Flutter's own texts ("Popup menu", "characters remaining") follow the locale the app sets."""
    assert LOCALES["nb"].language_code == "nb" and LOCALES["en"].language_code == "en"
