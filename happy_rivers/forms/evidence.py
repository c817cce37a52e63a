"""Where and when an evidence photo was taken, as the phone read it from the photo's EXIF.

The phone compresses a photo before it is uploaded, which drops its EXIF, so it sends what it
read as fields beside the file: has_exif ("1" / "0"), taken_at (the camera's local time, as
written: YYYY-MM-DDTHH:MM:SS), latitude and longitude (decimal degrees). All optional: an upload
without them (a PDF, a page without JavaScript) stores NULLs.
"""

import math
from datetime import datetime

from happy_rivers.translations import N_

FIELDS = ("has_exif", "taken_at", "latitude", "longitude")
# the messages, by field; views translate them (N_ marks them for the catalog)
MESSAGES = {
    "has_exif": N_("has_exif 须为 0 或 1"),
    "taken_at": N_("拍摄时间须为 YYYY-MM-DDTHH:MM:SS 格式的有效时间"),
    "latitude": N_("拍摄地点的纬度须为 -90 到 90 之间的数"),
    "longitude": N_("拍摄地点的经度须为 -180 到 180 之间的数"),
    "pair": N_("拍摄地点须同时有纬度和经度"),
}


def photo_metadata(form) -> tuple[dict, dict[str, str]]:
    """(columns for the attachment row, {field: message}) from the posted form."""
    values: dict = {}
    errors: dict[str, str] = {}
    has_exif = (form.get("has_exif") or "").strip()
    if has_exif:
        if has_exif not in ("0", "1"):
            errors["has_exif"] = MESSAGES["has_exif"]
        else:
            values["has_exif"] = int(has_exif)
    taken_at = (form.get("taken_at") or "").strip()
    if taken_at:
        try:
            parsed = datetime.strptime(taken_at, "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            errors["taken_at"] = MESSAGES["taken_at"]
        else:
            values["taken_at"] = parsed.isoformat()
    for name, limit in (("latitude", 90), ("longitude", 180)):
        raw = (form.get(name) or "").strip()
        if not raw:
            continue
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or abs(number) > limit:
            errors[name] = MESSAGES[name]
        else:
            values[name] = round(number, 6)
    if ("latitude" in values) != ("longitude" in values) and not errors:
        errors["longitude" if "latitude" in values else "latitude"] = MESSAGES["pair"]
    if errors:
        return {}, errors
    return values, {}
