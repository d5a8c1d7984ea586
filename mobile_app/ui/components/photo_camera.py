"""A camera preview with a shutter button ("Ta bildet"), for clinical photos (flet-camera, on a
phone and in the browser). The picture goes to Python as JPEG bytes and is never saved to the
phone's gallery. Where there is no camera (the desktop window, a browser without one) or no
permission, ``on_failed`` gets the error text flet-camera gave ("" when it found no camera); the
view-model decides what that means (viewmodels/photos.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

import flet as ft
import flet_camera as fc

from mobile_app.ui import theme
from mobile_app.ui.messages import Messages

logger = logging.getLogger(__name__)
PREVIEW_HEIGHT = 320  # pixels: most of a phone's width at 4:3, room left for the buttons below


@ft.component
def PhotoCamera(t: Messages, on_picture: Callable[[bytes, str], Awaitable[None]],
                on_failed: Callable[[str], None], beside: Sequence[ft.Control] = ()) -> ft.Control:
    """``on_picture`` gets the JPEG and the lens direction of the camera it came from ("back",
    "front", "external"); ``beside``: controls in the shutter's row (the file pick, cancel)."""
    # Methods go to the mounted instance: a re-render may migrate the control, the Ref follows it.
    ref: ft.Ref[fc.Camera] = ft.use_memo(ft.Ref, [])
    status, set_status = ft.use_state("starting")  # starting, ready, shooting
    lens, set_lens = ft.use_state("")

    async def start() -> None:
        camera = ref.current
        if camera is None:
            return
        try:
            cameras = await camera.get_available_cameras()
        except Exception as error:  # no camera support here (desktop window), or the browser refused
            logger.warning("no camera list: %s", error)
            on_failed(str(error))
            return
        if not cameras:
            on_failed("")
            return
        back = next((c for c in cameras if c.lens_direction == fc.CameraLensDirection.BACK), cameras[0])
        try:
            await camera.initialize(back, fc.ResolutionPreset.VERY_HIGH, enable_audio=False)
        except Exception as error:  # most often: the permission was refused
            logger.warning("camera could not start: %s", error)
            on_failed(str(error))
            return
        set_lens(back.lens_direction.value)
        set_status("ready")

    async def shoot() -> None:
        camera = ref.current
        if camera is None or status != "ready":
            return
        set_status("shooting")
        try:
            picture = await camera.take_picture()
        except Exception as error:
            logger.warning("camera could not take a picture: %s", error)
            on_failed(str(error))
            return
        await on_picture(picture, lens)

    ft.on_mounted(lambda: ft.context.page.run_task(start))
    shutter: ft.Control = ft.FilledButton(
        t("photo.take"), icon=ft.Icons.CAMERA, on_click=shoot, height=theme.TOUCH, key="shutter",
        disabled=status != "ready", tooltip=t("photo.take"))
    return ft.Column(spacing=8, controls=[
        ft.Container(fc.Camera(ref=ref, expand=True, preview_enabled=True), height=PREVIEW_HEIGHT, border_radius=8,
                     clip_behavior=ft.ClipBehavior.HARD_EDGE, bgcolor=ft.Colors.BLACK),
        ft.Row([shutter, *beside], wrap=True, spacing=8, run_spacing=8),
        *([ft.Text(t("camera.starting"), size=12, color=ft.Colors.ON_SURFACE_VARIANT)] if status == "starting" else []),
    ])
