"""Colours, sizes and the Material 3 themes (light and dark) in one place.

The colour schemes are written out role by role (``LIGHT`` and ``DARK``, tones of the hospital
blue) rather than left to Flutter to derive from the seed: every text colour and background the app
uses is then known here, and a test checks each pair the screens draw for WCAG AA contrast.
"""

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
# Theme-aware colours for the screens (they follow light and dark): a critical result's row and value.
CRITICAL_ROW = "error,0.12"  # ft.Colors.with_opacity(0.12, ft.Colors.ERROR)
CRITICAL_TEXT = "error"  # ft.Colors.ERROR
TOUCH = 48  # minimum touch target, dp
MIN_TEXT = 14  # smallest text size, px
PHONE_WIDTH = 390
PHONE_HEIGHT = 844
TABLET_WIDTH = 1024  # from this window width on: navigation rail and two panes (list and patient)
LIST_PANE_WIDTH = 400  # the list's pane beside the patient on a tablet

# Colour roles (ft.ColorScheme's field names) -> colour, for the light and the dark theme.
LIGHT: dict[str, str] = {
    "primary": "#1F5F8B", "on_primary": "#FFFFFF",
    "primary_container": "#CDE5FF", "on_primary_container": "#001D32",
    "secondary": "#526070", "on_secondary": "#FFFFFF",
    "secondary_container": "#D6E4F7", "on_secondary_container": "#0F1D2A",
    "tertiary": "#6A5778", "on_tertiary": "#FFFFFF",
    "tertiary_container": "#F2DAFF", "on_tertiary_container": "#251431",
    "error": "#BA1A1A", "on_error": "#FFFFFF", "error_container": "#FFDAD6", "on_error_container": "#410002",
    "surface": "#F8F9FF", "on_surface": "#191C20", "on_surface_variant": "#42474E",
    "surface_container_lowest": "#FFFFFF", "surface_container_low": "#F2F3FA", "surface_container": "#ECEEF4",
    "surface_container_high": "#E6E8EE", "surface_container_highest": "#E1E2E8",
    "outline": "#72777F", "outline_variant": "#C2C7CF",
    "inverse_surface": "#2E3135", "on_inverse_surface": "#EFF0F7", "inverse_primary": "#9ACBFF",
}
DARK: dict[str, str] = {
    "primary": "#9ACBFF", "on_primary": "#003353",
    "primary_container": "#004A75", "on_primary_container": "#CDE5FF",
    "secondary": "#BAC8DA", "on_secondary": "#243240",
    "secondary_container": "#3A4857", "on_secondary_container": "#D6E4F7",
    "tertiary": "#D6BEE4", "on_tertiary": "#3B2948",
    "tertiary_container": "#523F5F", "on_tertiary_container": "#F2DAFF",
    "error": "#FFB4AB", "on_error": "#690005", "error_container": "#93000A", "on_error_container": "#FFDAD6",
    "surface": "#111418", "on_surface": "#E1E2E8", "on_surface_variant": "#C2C7CF",
    "surface_container_lowest": "#0C0E12", "surface_container_low": "#191C20", "surface_container": "#1D2024",
    "surface_container_high": "#272A2F", "surface_container_highest": "#32353A",
    "outline": "#8C9199", "outline_variant": "#42474E",
    "inverse_surface": "#E1E2E8", "on_inverse_surface": "#2E3135", "inverse_primary": "#1F5F8B",
}


def segmented_style() -> ft.ButtonStyle:
    """Segments 48 px high: Material 3 draws them 40 px high, whatever height the button is given."""
    return ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=12, vertical=14))


# Glyphs the app's font lacks (the superscript digits of 10⁹/L): a small subset of DejaVu Sans
# (assets/fonts/superscripts.ttf, 7 kB), used only where a glyph is missing.
FONTS = {"Superscripts": "fonts/superscripts.ttf"}
_FALLBACK = ["Superscripts"]


def _text_theme() -> ft.TextTheme:
    roles = ("display_large", "display_medium", "display_small", "headline_large", "headline_medium",
             "headline_small", "title_large", "title_medium", "title_small", "body_large", "body_medium",
             "label_large", "label_medium", "label_small")
    styles = {role: ft.TextStyle(font_family_fallback=_FALLBACK) for role in roles}
    # Helper and error texts under fields are Material 3's small body text (12 px): 14 here, like all text.
    return ft.TextTheme(**styles, body_small=ft.TextStyle(size=MIN_TEXT, font_family_fallback=_FALLBACK))


def _theme(palette: dict[str, str]) -> ft.Theme:
    # Standard density everywhere: on a desktop or in a browser Flutter would make controls compact
    # (32 px segmented buttons, 40 px icon buttons), under the 48 px a finger needs.
    return ft.Theme(color_scheme_seed=SEED, color_scheme=ft.ColorScheme(**palette), use_material3=True,
                    text_theme=_text_theme(),
                    visual_density=ft.VisualDensity.STANDARD)


def light_theme() -> ft.Theme:
    return _theme(LIGHT)


def dark_theme() -> ft.Theme:
    return _theme(DARK)
