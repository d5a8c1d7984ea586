"""Colours, sizes and the Material 3 themes (light and dark) in one place."""

from __future__ import annotations

import flet as ft

SEED = "#1F5F8B"  # hospital blue
CRITICAL = "#B3261E"  # Material error red: critical information
CRITICAL_BG = "#FCE8E6"
EMERGENCY = "#8C1D18"
WARNING_BG = "#FFF4E5"
WARNING_FG = "#7A4100"
CONFIRM_BG = "#E6F4EA"
CONFIRM_FG = "#0D652D"
TOUCH = 48  # minimum touch target, dp
PHONE_WIDTH = 390
PHONE_HEIGHT = 844


def light_theme() -> ft.Theme:
    return ft.Theme(color_scheme_seed=SEED, use_material3=True)


def dark_theme() -> ft.Theme:
    return ft.Theme(color_scheme_seed=SEED, use_material3=True)
