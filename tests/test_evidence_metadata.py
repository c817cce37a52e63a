"""Evidence photos' EXIF time and place (issue 10 §3), over HTTP: what the phone read is stored
beside the server's receive time; bad values are refused naming the field, and write nothing."""

import io

import pytest

from happy_rivers.store import assessments
from tests.conftest import new_assessment, waterbody_id

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64  # the upload check reads the leading bytes only


def upload(inspector, aid, **fields):
    data = {"indicator": "A1", "file": (io.BytesIO(JPEG), "IMG_0001.jpg")} | fields
    return inspector.post(
        f"/assessments/{aid}/attachments", data, content_type="multipart/form-data"
    )


@pytest.fixture
def draft(db, login_as):
    inspector = login_as("yubei")
    return inspector, new_assessment(inspector, waterbody_id(db))


def test_exif_time_and_place_are_kept_beside_the_receive_time(db, draft):
    inspector, aid = draft
    response = upload(
        inspector,
        aid,
        has_exif="1",
        taken_at="2026-12-04T10:15:30",
        latitude="29.712340",
        longitude="106.634560",
    )
    assert response.status_code == 302
    (row,) = assessments.attachments(db, aid)
    assert row["taken_at"] == "2026-12-04T10:15:30"
    assert (row["latitude"], row["longitude"]) == (29.71234, 106.63456)
    assert row["has_exif"] == 1 and row["created_at"]
    page = inspector.get(f"/assessments/{aid}").get_data(as_text=True)
    assert "拍摄于 2026-12-04 10:15:30" in page and "位置 29.71234, 106.63456" in page


def test_a_photo_without_exif_is_marked(db, draft):
    inspector, aid = draft
    assert upload(inspector, aid, has_exif="0").status_code == 302
    (row,) = assessments.attachments(db, aid)
    assert (row["has_exif"], row["taken_at"], row["latitude"]) == (0, None, None)
    assert "无拍摄信息（可能来自相册）" in inspector.get(f"/assessments/{aid}").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"taken_at": "2026-13-40T10:15:30"}, "拍摄时间须为 YYYY-MM-DDTHH:MM:SS 格式的有效时间"),
        ({"taken_at": "yesterday"}, "拍摄时间须为"),
        ({"latitude": "91", "longitude": "106"}, "纬度须为 -90 到 90 之间的数"),
        ({"latitude": "nan", "longitude": "106"}, "纬度须为 -90 到 90 之间的数"),
        ({"latitude": "29.7", "longitude": "1e400"}, "经度须为 -180 到 180 之间的数"),
        ({"latitude": "29.7"}, "拍摄地点须同时有纬度和经度"),
        ({"has_exif": "yes"}, "has_exif 须为 0 或 1"),
    ],
)
def test_bad_metadata_is_refused_naming_the_field_and_writes_nothing(db, draft, fields, message):
    inspector, aid = draft
    response = upload(inspector, aid, **fields)
    assert response.status_code == 302
    follow = inspector.get(response.headers["Location"]).get_data(as_text=True)
    assert message in follow
    assert assessments.attachments(db, aid) == []
