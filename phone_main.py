"""Entry point for the phone build (`flet build apk`): the app against the hospital's FHIR server.

The EPJ address comes from the environment (VISITT_EPJ_URL), the hospital's time zone from
VISITT_TIME_ZONE (default Europe/Oslo) and its terminology profile from VISITT_TERMINOLOGY (a file;
default: the mock EPJ's, docs/terminology.md); a phone build never embeds the mock.
"""

import os

import flet as ft

from mobile_app.epj import terminology
from mobile_app.ui.app import AppConfig, main_for

ft.run(main_for(AppConfig(epj_url=os.environ.get("VISITT_EPJ_URL", "https://epj.example.no/fhir"),
                          lang=os.environ.get("VISITT_LANG", "nb"),
                          time_zone=os.environ.get("VISITT_TIME_ZONE", "Europe/Oslo"),
                          terminology=terminology.load(os.environ.get("VISITT_TERMINOLOGY") or None))))
