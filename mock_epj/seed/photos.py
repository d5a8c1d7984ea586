"""Clinical photos (FHIR Media) for a few admitted patients: a small synthetic picture of a wound
or skin change, with what it shows and where, as the app's "Bilder" section serves them.

The pictures are drawn here (a skin-toned field with a reddened patch), so the seed stays
synthetic; they have no EXIF, as the app's own uploads have none.
"""

from __future__ import annotations

import base64
import hashlib
import io
import random
import uuid
from collections.abc import Iterator
from datetime import timedelta

from PIL import Image, ImageDraw

from mock_epj.seed.clock import iso
from mock_epj.seed.elements import Resource, ref
from mock_epj.seed.plan import Stay

RFC3986 = "urn:ietf:rfc:3986"
MEDIA_TYPE = "http://terminology.hl7.org/CodeSystem/media-type"
_SHOWN = (
    ("Trykksår sete, kategori 2", "Sete"),
    ("Rødme rundt innstikksted for venekateter", "Venstre underarm"),
    ("Operasjonssår, tørt og rent", "Abdomen"),
    ("Hudutslett etter oppstart antibiotika", "Overkropp"),
)


def _picture(rng: random.Random) -> bytes:
    width, height = 320, 240
    image = Image.new("RGB", (width, height), (224 + rng.randint(-12, 12), 180 + rng.randint(-12, 12), 150))
    draw = ImageDraw.Draw(image)
    cx, cy, r = rng.randint(110, 210), rng.randint(80, 160), rng.randint(30, 60)
    draw.ellipse((cx - r, cy - r * 0.7, cx + r, cy + r * 0.7), fill=(190, 70 + rng.randint(0, 30), 60))
    draw.ellipse((cx - r / 3, cy - r / 4, cx + r / 3, cy + r / 4), fill=(150, 40, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def photos(stay: Stay, patient_id: str, encounter_id: str) -> Iterator[Resource]:
    """One photo for about one admitted patient in five (its own Random: the rest of the seed does
    not change with it)."""
    rng = random.Random(f"{stay.seed}:photo")
    if rng.random() >= 0.2:
        return
    taker = stay.nurse or stay.doctor
    description, site = rng.choice(_SHOWN)
    taken = max(stay.start + timedelta(hours=rng.uniform(2, 30)), stay.now - timedelta(days=2))
    taken = min(taken, stay.now - timedelta(minutes=30))
    data = _picture(rng)
    photo_id = f"media-{patient_id.removeprefix('pat-')}-1"
    yield {
        "resourceType": "Media", "id": photo_id,
        "identifier": [{"system": RFC3986, "value": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, photo_id)}"}],
        "status": "completed",
        "type": {"coding": [{"system": MEDIA_TYPE, "code": "image", "display": "Image"}]},
        "subject": ref("Patient", patient_id), "encounter": ref("Encounter", encounter_id),
        "createdDateTime": iso(taken), "issued": iso(taken),
        "operator": ref("Practitioner", taker.id, taker.name),
        "bodySite": {"text": site},
        "height": 240, "width": 320,
        "note": [{"text": description}],
        "content": {"contentType": "image/jpeg", "data": base64.b64encode(data).decode("ascii"),
                    "size": len(data), "hash": base64.b64encode(hashlib.sha1(data).digest()).decode("ascii"),
                    "title": description, "creation": iso(taken)},
    }
