"""The camera panel of the scan screen: a live preview whose frames are decoded until a code reads.

flet-camera runs on Android, iOS and in the browser, not in the desktop window; where it has no
camera (or no permission) the panel says so and the other ways to scan stay available.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import flet as ft
import flet_camera as fc

from mobile_app.ui.messages import Messages

logger = logging.getLogger(__name__)
FRAME_INTERVAL = 0.7  # seconds between captured frames: fast enough to feel live, light on the CPU


@ft.component
def CameraPanel(t: Messages, on_frame: Callable[[bytes], Awaitable[bool]]) -> ft.Control:
    """``on_frame`` gets each captured JPEG and returns True when it was handled (stop capturing)."""
    # Methods go to the mounted instance: a re-render may migrate the control, the Ref follows it.
    ref: ft.Ref[fc.Camera] = ft.use_memo(ft.Ref, [])
    status, set_status = ft.use_state("starting")

    async def run() -> None:
        camera = ref.current
        if camera is None:
            return
        try:
            cameras = await camera.get_available_cameras()
        except Exception:  # the platform has no camera support (desktop window) or refused
            set_status("unavailable")
            return
        if not cameras:
            set_status("unavailable")
            return
        back = next((c for c in cameras if c.lens_direction == fc.CameraLensDirection.BACK), cameras[0])
        try:
            await camera.initialize(back, fc.ResolutionPreset.HIGH, enable_audio=False)
        except Exception as error:
            logger.warning("camera could not start: %s", error)
            set_status("refused")
            return
        set_status("running")
        while True:
            await asyncio.sleep(FRAME_INTERVAL)
            camera = ref.current
            if camera is None:
                return  # the panel was closed
            try:
                frame = await camera.take_picture()
            except Exception as error:
                logger.warning("camera could not take a picture: %s", error)
                set_status("refused")
                return
            if frame and await on_frame(frame):
                set_status("done")
                return

    def mounted() -> None:
        ft.context.page.run_task(run)

    ft.on_mounted(mounted)
    if status in ("unavailable", "refused"):
        return ft.Container(
            padding=12, border_radius=8, bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
            content=ft.Row([ft.Icon(ft.Icons.NO_PHOTOGRAPHY), ft.Text(t(f"camera.{status}"), expand=True)]),
        )
    return ft.Column(spacing=6, controls=[
        ft.Container(fc.Camera(ref=ref, expand=True, preview_enabled=True), height=240, border_radius=8,
                     clip_behavior=ft.ClipBehavior.HARD_EDGE,
                     bgcolor=ft.Colors.BLACK),
        ft.Text(t("camera.aim") if status == "running" else t("camera.starting"), size=14,
                color=ft.Colors.ON_SURFACE_VARIANT),
    ])
