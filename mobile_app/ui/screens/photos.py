"""The patient's clinical photos ("Bilder"): the photos in the record as thumbnails with what they
show, where on the body, when (hospital time) and by whom, one at full size on a tap; photos still
waiting in the outbox marked so; and "Ta bilde": the camera (flet-camera, on a phone and in the
browser) with its shutter "Ta bildet", "Velg bildefil" beside it and instead of it where the camera
cannot be used, then a description and body site, then "Lagre bilde i journalen". All decisions
are the state's (viewmodels/photos.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from mobile_app.domain.media import BODY_SITE_LIMIT, DESCRIPTION_LIMIT, ClinicalPhoto, PhotoDraft
from mobile_app.services.outbox_items import ItemState, OutboxItem
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.components.patient import scrolling, use_collapsing_banner, with_banner
from mobile_app.ui.components.photo_camera import PhotoCamera
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import shows
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Status
from mobile_app.ui.viewmodels.dictation import dictation_for
from mobile_app.ui.viewmodels.patient import PatientState
from mobile_app.ui.viewmodels.photos import PhotosState, photos_for
from mobile_app.ui.viewmodels.writing import item_problem

THUMB = 72  # pixels: a thumbnail, and (with the tile's padding) well over the 48 px touch target


def photo_label(t: Messages, photo: ClinicalPhoto) -> str:
    return t("photo.alt", description=photo.description, site=photo.body_site or t("photo.no_site"),
             when=fmt.day_time(photo.taken_at), who=photo.taken_by or "?")


def _thumb(image: bytes, label: str) -> ft.Control:
    if not image:
        return ft.Icon(ft.Icons.IMAGE_OUTLINED, size=THUMB / 2)
    return ft.Image(src=image, width=THUMB, height=THUMB, fit=ft.BoxFit.COVER, semantics_label=label,
                    border_radius=6)


def _photo_tile(t: Messages, photo: ClinicalPhoto, on_open: Callable[[], Awaitable[None]]) -> ft.Control:
    details = " · ".join(x for x in (photo.body_site, fmt.day_time(photo.taken_at), photo.taken_by) if x)
    return ft.ListTile(
        leading=_thumb(photo.image, photo_label(t, photo)), on_click=on_open, min_height=THUMB + 16,
        title=ft.Text(photo.description, weight=ft.FontWeight.W_600),
        subtitle=ft.Text(details, size=13), tooltip=t("photo.show", description=photo.description))


def _pending_tile(t: Messages, item: OutboxItem) -> ft.Control:
    payload = item.payload
    assert isinstance(payload, PhotoDraft)
    problem = item_problem(item) if item.state is ItemState.FAILED else None
    status = t("photo.failed", reason=problem_text(t, problem)) if problem is not None else t("photo.pending")
    details = " · ".join(x for x in (payload.body_site, fmt.day_time(payload.taken_at)) if x)
    return ft.ListTile(
        leading=_thumb(payload.image, payload.description), min_height=THUMB + 16,
        title=ft.Text(payload.description, weight=ft.FontWeight.W_600),
        subtitle=ft.Column(tight=True, spacing=2, controls=[
            ft.Text(details, size=13),
            ft.Row(spacing=4, controls=[
                ft.Icon(ft.Icons.ERROR if problem else ft.Icons.SCHEDULE_SEND, size=16,
                        color=ft.Colors.ERROR if problem else theme.WARNING_FG),
                ft.Text(status, size=13, weight=ft.FontWeight.W_600,
                        color=ft.Colors.ERROR if problem else theme.WARNING_FG)])]))


def _pick_button(t: Messages, pick: Callable[[], Awaitable[None]]) -> ft.Control:
    return ft.OutlinedButton(t("photo.pick"), icon=ft.Icons.IMAGE_SEARCH, on_click=pick, height=theme.TOUCH,
                             key="pick-photo")


def _full_size(t: Messages, photo: ClinicalPhoto, close: Callable[[], Awaitable[None]]) -> ft.Control:
    return ft.ListView(padding=16, spacing=12, controls=[
        ft.FilledButton(t("photo.close"), icon=ft.Icons.CLOSE, on_click=close, height=theme.TOUCH),
        ft.Image(src=photo.image, fit=ft.BoxFit.CONTAIN, semantics_label=photo_label(t, photo)),
        ft.Text(photo.description, size=18, weight=ft.FontWeight.W_600),
        ft.Text(" · ".join(x for x in (photo.body_site, fmt.day_time(photo.taken_at), photo.taken_by) if x)),
    ])


@shows(PhotosState)
@ft.component
def PhotosScreen(app: AppState, state: PhotosState, t: Messages) -> ft.Control:
    collapsed, scrolled = use_collapsing_banner()
    web = ft.context.page.web

    async def pick() -> None:
        app.touch()
        files = await ft.FilePicker().pick_files(dialog_title=t("photo.pick"), file_type=ft.FilePickerFileType.IMAGE,
                                                 with_data=True)
        state.picked(files[0].bytes if files else None)

    async def take() -> None:
        app.touch()
        if state.take_uses_camera:
            state.start_camera()
        else:
            await pick()  # the camera failed here; a phone browser's file input offers its camera app

    async def taken(picture: bytes, lens_direction: str) -> None:
        app.touch()
        state.taken(picture, web=web, lens_direction=lens_direction)

    async def set_description(e: ft.Event[ft.TextField]) -> None:
        app.touch()
        state.set_description(e.control.value or "")

    async def set_site(e: ft.Event[ft.TextField]) -> None:
        app.touch()
        state.set_body_site(e.control.value or "")

    async def send() -> None:
        app.touch()
        await state.send()

    async def cancel() -> None:
        app.touch()
        state.cancel()

    async def close() -> None:
        app.touch()
        state.close_photo()

    async def retry() -> None:
        app.touch()
        await state.load()

    def opener(photo: ClinicalPhoto) -> Callable[[], Awaitable[None]]:
        async def open_photo() -> None:
            app.touch()
            state.open(photo)
        return open_photo

    today = app.ctx.today()
    if state.viewing is not None:
        return with_banner(t, state.banner, today, collapsed, _full_size(t, state.viewing, close))
    controls: list[ft.Control] = []
    if state.prepared is not None:
        prepared = state.prepared
        controls += [
            ft.Image(src=prepared.jpeg, height=240, fit=ft.BoxFit.CONTAIN, semantics_label=t("photo.preview")),
            ft.TextField(label=t("photo.description"), value=state.description, on_change=set_description,
                         key="description", helper=f"{len(state.description)} / {DESCRIPTION_LIMIT}"),
            ft.TextField(label=t("photo.body_site"), value=state.body_site, on_change=set_site, key="site",
                         helper=f"{len(state.body_site)} / {BODY_SITE_LIMIT}"),
            ft.Row(wrap=True, spacing=8, controls=[
                ft.OutlinedButton(t("photo.cancel"), icon=ft.Icons.CLOSE, on_click=cancel, height=theme.TOUCH),
                ft.FilledButton(t("photo.send"), icon=ft.Icons.SEND, on_click=send, height=theme.TOUCH,
                                disabled=state.busy)]),
            ft.Text(t("photo.not_kept"), size=12, color=ft.Colors.ON_SURFACE_VARIANT),
        ]
    elif state.taking:
        def failed(status: str) -> None:
            state.camera_failed(status)

        controls.append(PhotoCamera(t, taken, failed, beside=[
            _pick_button(t, pick),
            ft.OutlinedButton(t("photo.cancel"), icon=ft.Icons.CLOSE, on_click=cancel, height=theme.TOUCH)]))
    elif state.may_take:
        controls.append(ft.Row(wrap=True, spacing=8, run_spacing=8, controls=[
            ft.FilledButton(t("photo.open"), icon=ft.Icons.PHOTO_CAMERA, on_click=take, height=theme.TOUCH,
                            key="take-photo"),
            _pick_button(t, pick)]))
    if state.photo_problem is not None:
        controls.append(ft.Text(problem_text(t, state.photo_problem), color=ft.Colors.ERROR,
                                weight=ft.FontWeight.W_600))
    controls.append(states.section(t("photo.section")))
    controls += [_pending_tile(t, item) for item in state.pending]
    if state.status is Status.LOADING and not state.photos:
        controls.append(states.loading(t))
    elif state.status is Status.ERROR and state.problem is not None:
        controls.append(states.error(t, state.problem, retry))
    elif state.status is Status.READY and not state.photos and not state.pending:
        controls.append(states.empty(t("photo.none"), ft.Icons.PHOTO_LIBRARY_OUTLINED))
    controls += [_photo_tile(t, photo, opener(photo)) for photo in state.photos]
    content: Any = ft.ListView(padding=16, spacing=8, controls=controls, expand=True)
    return with_banner(t, state.banner, today, collapsed, scrolling(content, scrolled))


def media_buttons(app: AppState, patient: PatientState, t: Messages) -> list[ft.Control]:
    """The overview's way to the patient's photos ("Bilder") and to dictate about the patient ("Dikter")."""
    if app.ctx.outbox is None or patient.patient is None:
        return []

    async def photos() -> None:
        app.touch()
        screen = photos_for(app.ctx, patient)
        if screen is not None:
            app.nav.push(screen)
            await screen.load()

    async def dictate() -> None:
        app.touch()
        screen = dictation_for(app.ctx, patient)
        if screen is not None:
            app.nav.push(screen)

    return [ft.Container(padding=ft.Padding.symmetric(horizontal=16, vertical=4), content=ft.Row(
        wrap=True, spacing=8, run_spacing=8, controls=[
            ft.OutlinedButton(t("photo.section"), icon=ft.Icons.PHOTO_LIBRARY_OUTLINED, on_click=photos,
                              height=theme.TOUCH, key="photos", tooltip=t("photo.section")),
            ft.OutlinedButton(t("dictation.open"), icon=ft.Icons.MIC, on_click=dictate, height=theme.TOUCH,
                              key="dictate", tooltip=t("dictation.open"))]))]
