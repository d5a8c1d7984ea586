"""Readable text, checked on the control tree a screen renders (Flet's page on a fake session).

``findings(control, palette)`` walks the tree the way Flutter paints it: each text gets the colour it
is given or the one its control gives it (a filled button's label is on_primary, a list tile's
subtitle on_surface_variant, the text of anything disabled on_surface at 38 %), on the nearest
background below it (a container's, a card's, a button's, the page's surface). It reports:

- text smaller than ``theme.MIN_TEXT`` (14 px), including field helper and error texts;
- text whose contrast with its background is under WCAG AA: 4.5:1, or 3:1 for large text (24 px,
  or 18.66 px bold). A disabled button is an inactive control, which WCAG exempts; a disabled menu
  item still carries words someone reads (the "Innlogget som" line) and is checked;
- a colour the checker cannot resolve (a test must know every colour the app paints).

Navigation bar labels and badges are drawn by Flutter's own theme (12 px labels under the icons) and
are not walked; a Material theme decides those, not a screen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import flet as ft
from flet.components.component import Component

from mobile_app.ui import theme
from tests.support.screens import render

RGB = tuple[float, float, float]
_BOLD = {ft.FontWeight.BOLD, ft.FontWeight.W_700, ft.FontWeight.W_800, ft.FontWeight.W_900}
_NAMED = {"white": "#FFFFFF", "black": "#000000"}


def luminance(rgb: RGB) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _hex(value: str) -> RGB:
    digits = value.lstrip("#")
    if len(digits) == 8:  # AARRGGBB: the alpha is not used for text here
        digits = digits[2:]
    if len(digits) != 6:
        raise ValueError(value)
    return (int(digits[0:2], 16) / 255, int(digits[2:4], 16) / 255, int(digits[4:6], 16) / 255)


class Palette:
    """A theme's colour roles, and the colours the screens name (tokens, hex, with opacity)."""

    def __init__(self, roles: dict[str, str]) -> None:
        self.roles = {name.replace("_", ""): _hex(value) for name, value in roles.items()}

    def rgb(self, colour: Any, over: RGB) -> RGB:
        text = str(colour.value if hasattr(colour, "value") else colour).strip().lower()
        if "," in text:
            base, opacity = text.rsplit(",", 1)
            alpha = float(opacity)
            top = self.rgb(base, over)
            return (alpha * top[0] + (1 - alpha) * over[0], alpha * top[1] + (1 - alpha) * over[1],
                    alpha * top[2] + (1 - alpha) * over[2])
        if text == "transparent":
            return over
        if text.startswith("#"):
            return _hex(text)
        if text in _NAMED:
            return _hex(_NAMED[text])
        if text in self.roles:
            return self.roles[text]
        raise KeyError(f"unknown colour {colour!r}")

    def role(self, name: str) -> RGB:
        return self.roles[name.replace("_", "")]


LIGHT = Palette(theme.LIGHT)
DARK = Palette(theme.DARK)


@dataclass(frozen=True)
class Ink:
    """What a text inherits where it is drawn: its colour, background, default size and state."""

    fg: RGB
    bg: RGB
    size: float = 14.0
    disabled: bool = False


def _text_of(node: Any) -> str:
    value = getattr(node, "value", None)
    return str(value) if value is not None else ""


class Walker:
    def __init__(self, palette: Palette, screen: str) -> None:
        self.p = palette
        self.screen = screen
        self.found: list[str] = []
        self._seen: set[int] = set()
        self._kept: list[Any] = []  # seen nodes stay alive: a freed tree's ids are reused by the next render

    # ------------------------------------------------------------ reporting

    def report(self, what: str, text: str) -> None:
        self.found.append(f"{self.screen}: {what}: {text[:50]!r}")

    def colour(self, colour: Any, over: RGB, fallback: RGB) -> RGB:
        if colour is None:
            return fallback
        try:
            return self.p.rgb(colour, over)
        except (KeyError, ValueError) as error:
            self.report("colour", str(error))
            return fallback

    def text(self, text: str, ink: Ink, *, size: float | None = None, colour: Any = None,
             weight: Any = None, bgcolor: Any = None) -> None:
        if not text.strip():
            return
        bg = self.colour(bgcolor, ink.bg, ink.bg)
        fg = self.p.rgb("onsurface,0.38", bg) if ink.disabled else self.colour(colour, bg, ink.fg)
        shown = size if size is not None else ink.size
        if shown < theme.MIN_TEXT:
            self.report(f"text of {shown:g} px (under {theme.MIN_TEXT})", text)
        large = shown >= 24 or (shown >= 18.66 and weight in _BOLD)
        ratio = contrast(fg, bg)
        needed = 3.0 if large else 4.5
        if ratio < needed - 0.005:
            self.report(f"contrast {ratio:.2f}:1 (under {needed:g}:1)", text)

    def label(self, value: Any, ink: Ink) -> None:
        """A label given as a string or as a control."""
        if isinstance(value, str):
            self.text(value, ink)
        else:
            self.walk(value, ink)

    # ------------------------------------------------------------ the tree

    def walk(self, node: Any, ink: Ink) -> None:
        if node is None or isinstance(node, str | int | float | bool):
            return
        if isinstance(node, list | tuple):
            for item in node:
                self.walk(item, ink)
            return
        if isinstance(node, Component):
            self.walk(render(node.fn, *node.args, **node.kwargs), ink)
            return
        if id(node) in self._seen:
            return
        self._seen.add(id(node))
        self._kept.append(node)
        if getattr(node, "visible", True) is False:
            return
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is not None:
            handler(node, ink)
            return
        for name in ("content", "controls", "title", "subtitle", "leading", "trailing", "actions"):
            self.walk(getattr(node, name, None), ink)

    def _with_bg(self, ink: Ink, bgcolor: Any, fg: Any = None) -> Ink:
        bg = self.colour(bgcolor, ink.bg, ink.bg)
        return replace(ink, bg=bg, fg=self.colour(fg, bg, ink.fg) if fg is not None else ink.fg)

    def _Text(self, node: ft.Text, ink: Ink) -> None:
        self.text(_text_of(node), ink, size=node.size, colour=node.color, weight=node.weight, bgcolor=node.bgcolor)

    def _Container(self, node: ft.Container, ink: Ink) -> None:
        self.walk(node.content, self._with_bg(ink, node.bgcolor))

    def _Card(self, node: ft.Card, ink: Ink) -> None:
        self.walk(node.content, self._with_bg(ink, node.bgcolor or "surfacecontainerlow"))

    def _View(self, node: ft.View, ink: Ink) -> None:
        inner = self._with_bg(ink, node.bgcolor or "surface", "onsurface")
        self.walk(node.appbar, inner)
        self.walk(node.controls, inner)

    def _AppBar(self, node: ft.AppBar, ink: Ink) -> None:
        inner = self._with_bg(ink, node.bgcolor or "surface", node.color or "onsurface")
        self.label(node.title, replace(inner, size=22))
        self.walk(node.leading, inner)
        self.walk(node.actions, inner)

    def _PopupMenuButton(self, node: ft.PopupMenuButton, ink: Ink) -> None:
        self.walk(node.content, ink)
        menu = self._with_bg(ink, node.bgcolor or "surfacecontainer", "onsurface")
        for item in node.items or []:
            self.label(item.content, replace(menu, disabled=bool(item.disabled)))

    def _ListTile(self, node: ft.ListTile, ink: Ink) -> None:
        inner = self._with_bg(ink, node.bgcolor)
        self.label(node.title, replace(inner, size=16, fg=self.colour(node.text_color, inner.bg,
                                                                       self.p.role("on_surface"))))
        self.label(node.subtitle, replace(inner, size=14, fg=self.p.role("on_surface_variant")))
        self.walk(node.leading, inner)
        self.walk(node.trailing, inner)

    def _button(self, node: Any, ink: Ink, bg: Any, fg: Any) -> None:
        if getattr(node, "disabled", False):
            return  # an inactive control: WCAG 1.4.3 asks no contrast of it (it is drawn at 38 %)
        inner = self._with_bg(ink, getattr(node, "bgcolor", None) or bg, getattr(node, "color", None) or fg)
        self.label(node.content, inner)

    def _FilledButton(self, node: ft.FilledButton, ink: Ink) -> None:
        self._button(node, ink, "primary", "onprimary")

    def _FilledTonalButton(self, node: ft.FilledTonalButton, ink: Ink) -> None:
        self._button(node, ink, "secondarycontainer", "onsecondarycontainer")

    def _Button(self, node: ft.Button, ink: Ink) -> None:
        self._button(node, ink, "surfacecontainerlow", "primary")

    def _ElevatedButton(self, node: ft.Button, ink: Ink) -> None:
        self._button(node, ink, "surfacecontainerlow", "primary")

    def _TextButton(self, node: ft.TextButton, ink: Ink) -> None:
        style_colour = getattr(node.style, "color", None) if node.style is not None else None
        self._button(node, ink, None, style_colour if isinstance(style_colour, str) else "primary")

    def _OutlinedButton(self, node: ft.OutlinedButton, ink: Ink) -> None:
        self._button(node, ink, None, "primary")

    def _SegmentedButton(self, node: ft.SegmentedButton, ink: Ink) -> None:
        chosen = set(node.selected or [])
        for segment in node.segments or []:
            selected = segment.value in chosen
            inner = self._with_bg(ink, "secondarycontainer", "onsecondarycontainer") if selected \
                else replace(ink, fg=self.p.role("on_surface"))
            self.label(segment.label, replace(inner, disabled=bool(node.disabled)))

    def _TextField(self, node: ft.TextField, ink: Ink) -> None:
        small = theme.MIN_TEXT  # the theme's small body text (helper and error), see theme.py
        if isinstance(node.label, str):
            self.text(node.label, replace(ink, fg=self.p.role("on_surface_variant"), size=16))
        else:
            self.walk(node.label, ink)
        self.text(str(node.value or ""), replace(ink, fg=self.p.role("on_surface"), size=16))
        for value, colour in ((node.helper, "onsurfacevariant"), (node.error, "error")):
            if isinstance(value, str):
                self.text(value, replace(ink, fg=self.p.rgb(colour, ink.bg), size=small))
            else:
                self.walk(value, ink)
        self.walk([node.prefix, node.suffix], ink)

    def _check(self, node: Any, ink: Ink) -> None:
        self.label(node.label, replace(ink, fg=self.p.role("on_surface"), disabled=bool(node.disabled)))

    _Checkbox = _check
    _Switch = _check
    _Radio = _check

    def _Tabs(self, node: ft.Tabs, ink: Ink) -> None:
        self.walk(node.content, ink)

    def _TabBar(self, node: ft.TabBar, ink: Ink) -> None:
        for tab in node.tabs or []:
            self.label(getattr(tab, "label", None), replace(ink, fg=self.p.role("on_surface_variant")))

    def _AlertDialog(self, node: ft.AlertDialog, ink: Ink) -> None:
        inner = self._with_bg(ink, node.bgcolor or "surfacecontainerhigh", "onsurface")
        self.label(node.title, replace(inner, size=24))
        self.label(node.content, replace(inner, fg=self.p.role("on_surface_variant")))
        self.walk(node.actions, inner)

    def _CircleAvatar(self, node: ft.CircleAvatar, ink: Ink) -> None:
        self.walk(node.content, self._with_bg(ink, node.bgcolor or "primarycontainer",
                                              node.color or "onprimarycontainer"))

    def _NavigationBar(self, node: ft.NavigationBar, ink: Ink) -> None:
        """Themed by Flutter (see the module's docstring)."""

    def _NavigationRail(self, node: ft.NavigationRail, ink: Ink) -> None:
        self.walk([node.leading, node.trailing], ink)


def findings(control: Any, palette: Palette, screen: str) -> list[str]:
    """Every text on ``control`` that is too small or too faint, as "screen: what: 'text'"."""
    walker = Walker(palette, screen)
    walker.walk(control, Ink(fg=palette.role("on_surface"), bg=palette.role("surface")))
    return walker.found


def all_findings(screens: Iterator[tuple[str, Any]], palette: Palette) -> list[str]:
    return [line for name, control in screens for line in findings(control, palette, name)]
