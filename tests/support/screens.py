"""Rendering a screen without a browser: a Flet page on a fake session, and every text it shows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import flet as ft
from flet.components.component import Component, Renderer
from flet.controls.context import _context_page


class FakeSession:
    def patch_control(self, control: Any, **kwargs: Any) -> None: ...
    def schedule_update(self, control: Any) -> None: ...
    def schedule_effect(self, hook: Any, is_cleanup: bool) -> None: ...
    async def after_event(self, control: Any) -> None: ...


def render(component: Callable[..., Any], *args: Any, **kwargs: Any) -> ft.Control:
    """What a component (or a plain function building controls) returns for these arguments."""
    session = FakeSession()  # the page holds its session weakly: keep it alive while rendering (dialogs)
    page = ft.Page(sess=session)  # type: ignore[arg-type]
    fn = getattr(component, "__wrapped__", component)
    comp = Component(fn=fn, args=args, kwargs=kwargs)
    token = _context_page.set(page)  # type: ignore[arg-type]
    try:
        renderer = Renderer(comp)  # type: ignore[no-untyped-call]
        with renderer.with_context(), renderer._Frame(renderer, comp):  # type: ignore[no-untyped-call]
            result: ft.Control = comp.fn(*args, **kwargs)
    finally:
        _context_page.reset(token)
    return result


def texts(control: Any) -> Iterator[str]:
    """Every string shown by a control tree (Text values, labels, button contents)."""
    seen: set[int] = set()
    kept: list[Any] = []  # what was seen stays alive: a freed tree's ids are reused by the next render

    def walk(node: Any) -> Iterator[str]:
        if id(node) in seen or node is None:
            return
        seen.add(id(node))
        kept.append(node)
        if isinstance(node, str):
            yield node
        elif isinstance(node, Component):  # a screen nested in the shell's view: what it renders
            yield from walk(render(node.fn, *node.args, **node.kwargs))
        elif isinstance(node, list | tuple):
            for item in node:
                yield from walk(item)
        elif isinstance(node, ft.BaseControl):
            for name in ("value", "label", "content", "controls", "title", "subtitle", "leading", "trailing",
                         "error", "helper", "tabs", "actions", "items", "text", "options", "appbar"):
                yield from walk(getattr(node, name, None))

    yield from walk(control)


def controls(node: Any) -> Iterator[Any]:
    """Every control in a tree (through ``content`` and ``controls``), depth first."""
    if isinstance(node, list | tuple):
        for item in node:
            yield from controls(item)
    elif isinstance(node, ft.BaseControl):
        yield node
        for name in ("content", "controls"):
            yield from controls(getattr(node, name, None))
