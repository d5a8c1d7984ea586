"""The SUS screen and offer card render from their state: every statement with its five labelled
choices in both languages, the missing statements, and the thank-you after sending."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import flet as ft
import pytest

from mobile_app.services.usage import SUS_ITEMS_EN
from mobile_app.ui.components.sus_offer import sus_offer_card
from mobile_app.ui.messages import CATALOGUE, Messages
from mobile_app.ui.screens.sus import SusScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.sus import SusState
from tests.support.screens import controls, render, texts


def radio_groups(tree: ft.Control) -> list[Any]:
    return [c for c in controls(tree) if isinstance(c, ft.RadioGroup)]


def closes(app: AppState, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record calls of ``app.nav.back()`` (the shell closes the screen)."""
    closed: list[bool] = []

    def back() -> bool:
        closed.append(True)
        return True

    monkeypatch.setattr(app.nav, "back", back)
    return closed


def button(tree: ft.Control, text: str) -> Any:
    [found] = [c for c in controls(tree) if isinstance(c, ft.Button | ft.TextButton) and c.content == text]
    return found


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_every_statement_shows_with_five_labelled_choices(app: AppState, lang: str) -> None:
    t = Messages(lang)
    tree = render(SusScreen, app, SusState(app.ctx), t)
    shown = list(texts(tree))
    for number in range(1, 11):
        assert f"{number}. {t(f'sus.q{number}')}" in shown
    groups = radio_groups(tree)
    assert len(groups) == 10 and all(group.value is None for group in groups)
    for group in groups:
        radios = [c for c in controls(group.content) if isinstance(c, ft.Radio)]
        assert [r.label for r in radios] == [t(f"sus.scale.{v}") for v in range(1, 6)]
        assert [r.value for r in radios] == ["1", "2", "3", "4", "5"]
    assert t("sus.submit") in shown and t("sus.not_now") in shown and t("sus.intro") in shown


def test_the_statements_are_the_standard_ones() -> None:
    assert [CATALOGUE[f"sus.q{n}"][1] for n in range(1, 11)] == list(SUS_ITEMS_EN)
    assert Messages("nb")("sus.scale.1") == "1 – Helt uenig" and Messages("nb")("sus.scale.5") == "5 – Helt enig"


async def test_choosing_answers_marks_them_and_the_missing_ones_are_named(app: AppState) -> None:
    t = Messages("nb")
    state = SusState(app.ctx)
    groups = radio_groups(render(SusScreen, app, state, t))
    await groups[2].on_change(SimpleNamespace(control=SimpleNamespace(value="4")))
    assert state.answers[2] == 4 and state.missing == [1, 2, 4, 5, 6, 7, 8, 9, 10]
    tree = render(SusScreen, app, state, t)
    await button(tree, t("sus.submit")).on_click()
    tree = render(SusScreen, app, state, t)
    assert [g.value for g in radio_groups(tree)][2] == "4"
    assert "Svar på alle utsagnene. Mangler: 1, 2, 4, 5, 6, 7, 8, 9, 10." in texts(tree)
    assert not state.done


async def test_sending_a_complete_form_shows_the_thanks_and_done_closes(app: AppState,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    t = Messages("en")
    state = SusState(app.ctx)
    for index in range(10):
        state.answer(index, 3)
    await button(render(SusScreen, app, state, t), t("sus.submit")).on_click()
    assert state.done and state.score == 50.0
    tree = render(SusScreen, app, state, t)
    shown = list(texts(tree))
    assert t("sus.thanks") in shown and t("sus.done") in shown
    assert t("sus.q1") not in " ".join(shown)
    closed = closes(app, monkeypatch)
    await button(tree, t("sus.done")).on_click()
    assert closed == [True]


async def test_not_now_dismisses_and_closes(app: AppState, monkeypatch: pytest.MonkeyPatch) -> None:
    t = Messages("nb")
    state = SusState(app.ctx)
    closed = closes(app, monkeypatch)
    await button(render(SusScreen, app, state, t), "Ikke nå").on_click()
    assert state.dismissed and closed == [True]


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_offer_card_has_its_text_and_two_buttons(lang: str) -> None:
    t = Messages(lang)
    answered: list[str] = []
    card = sus_offer_card(t, lambda: answered.append("answer"), lambda: answered.append("dismiss"))
    assert t("sus.offer") in texts(card)
    button(card, t("sus.answer_now")).on_click()
    button(card, t("sus.not_now")).on_click()
    assert answered == ["answer", "dismiss"]
    assert Messages("nb")("sus.offer") == "Hjelp oss å gjøre Visitt bedre: 10 korte spørsmål, uten navn."
