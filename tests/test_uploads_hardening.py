"""Evidence uploads (hardening issue, item 6): clean file names, downloads that never fail, and
a per-assessment cap that holds under concurrent uploads."""

import io
import threading
from pathlib import Path
from urllib.parse import quote

import pytest

from happy_rivers import store
from happy_rivers.store import assessments, users
from tests.conftest import new_assessment, waterbody_id

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.7\n%%EOF\n"
MB = 1024 * 1024


@pytest.fixture
def draft(db, login_as):
    inspector = login_as("yubei")
    return inspector, new_assessment(inspector, waterbody_id(db))


def upload(browser, aid, content=PNG, name="photo.png", content_type="image/png"):
    file = (io.BytesIO(content), name, content_type)
    return browser.post(f"/assessments/{aid}/attachments", {"file": file})


def hand_made_upload(browser, aid, name: str, content=PNG):
    """A multipart body as a script could send it: the name in RFC 2231 form, which the
    server decodes, CR/LF and NUL included (a browser would have escaped them)."""
    boundary = "----hardening"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{browser.token}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f"filename*=UTF-8''{quote(name, safe='')}\r\nContent-Type: image/png\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return browser.client.post(
        f"/assessments/{aid}/attachments",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def flashes(browser, response) -> str:
    return browser.get(response.headers["Location"]).get_data(as_text=True)


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("堤防\r\n照片.png", "堤防 照片.png"),
        ("evil\x00.pdf", "evil.pdf"),
        ("C:\\Users\\张三\\桌面\\岸线.jpg", "岸线.jpg"),
        ("../../etc/passwd", "passwd"),
        ("photo\u202egnp.exe", "photognp.exe"),  # no bidi override to disguise the type
        ("  多个   空格\t.png ", "多个 空格 .png"),
        ("\r\n\x00", "证明材料"),
        ("...", "证明材料"),
        ("长" * 300 + ".pdf", "长" * 196 + ".pdf"),
    ],
)
def test_clean_filename(raw, clean):
    assert assessments.clean_filename(raw) == clean


@pytest.mark.parametrize(
    "name", ["堤防\r\n照片.png", "a\nb.png", "evil\x00.png", "x\rSet-Cookie: a=b.png"]
)
def test_a_name_with_line_breaks_or_nul_is_cleaned_on_upload_and_downloads(db, draft, name):
    inspector, aid = draft
    response = hand_made_upload(inspector, aid, name)
    assert response.status_code == 302
    (row,) = list(db.query("SELECT * FROM attachments WHERE assessment_id = ?", [aid]))
    assert not set(row["filename"]) & {"\r", "\n", "\x00"}  # stored clean
    download = inspector.get(f"/attachments/{row['id']}")
    assert download.status_code == 200
    assert download.data == PNG
    assert "\r" not in download.headers["Content-Disposition"]
    assert "Set-Cookie" not in download.headers or "a=b" not in download.headers["Set-Cookie"]


def test_rows_stored_with_bad_names_still_download(app, db, draft):
    """Names stored before uploads were cleaned: cleaned again on the way out."""
    inspector, aid = draft
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for i, name in enumerate(["旧\r\n报告.pdf", "old\x00.pdf", "\r\n"]):
        (folder / f"legacy-{i}.pdf").write_bytes(PDF)
        ids.append(
            db["attachments"]
            .insert(
                {
                    "assessment_id": aid,
                    "filename": name,
                    "stored_name": f"legacy-{i}.pdf",
                    "sha256": "0" * 64,
                    "content_type": "application/pdf",
                    "size": len(PDF),
                }
            )
            .last_pk
        )
    db.conn.commit()
    for attachment_id, name in zip(ids, ["旧 报告.pdf", "old.pdf", "证明材料"], strict=True):
        download = inspector.get(f"/attachments/{attachment_id}")
        assert download.status_code == 200
        assert download.data == PDF
        header = download.headers["Content-Disposition"]
        assert "\r" not in header and "\n" not in header and "\x00" not in header
        if name.isascii():
            assert header == f"attachment; filename={name}"
        else:  # RFC 5987: the UTF-8 name beside an ASCII fallback
            assert header.startswith("attachment; filename=")
            assert header.endswith("; filename*=UTF-8''" + quote(name))
    form = inspector.get(f"/assessments/{aid}/edit").get_data(as_text=True)
    assert "旧 报告.pdf" in form and "old.pdf" in form


def test_a_chinese_name_is_kept_and_sent_as_rfc_5987(db, draft):
    inspector, aid = draft
    response = upload(inspector, aid, PDF, "河长制 验收报告.pdf", "application/pdf")
    assert "已上传「河长制 验收报告.pdf」" in flashes(inspector, response)
    (row,) = assessments.attachments(db, aid)
    assert row["filename"] == "河长制 验收报告.pdf"
    header = inspector.get(f"/attachments/{row['id']}").headers["Content-Disposition"]
    assert header.startswith("attachment; ")
    assert header.endswith("filename*=UTF-8''" + quote("河长制 验收报告.pdf"))


# --- the cap per assessment -----------------------------------------------------------------


@pytest.fixture
def capped(app):
    app.config.update(EVIDENCE_FILES_PER_ASSESSMENT=3, EVIDENCE_BYTES_PER_ASSESSMENT=2 * MB)
    return app


def test_the_file_count_per_assessment_is_capped_with_a_message_naming_the_field(capped, db, draft):
    inspector, aid = draft
    for i in range(3):
        assert "已上传" in flashes(inspector, upload(inspector, aid, name=f"{i}.png"))
    refused = upload(inspector, aid, name="3.png")
    assert refused.headers["Location"] == f"/assessments/{aid}/edit#evidence"
    page = flashes(inspector, refused)
    assert "文件：每份评估最多上传 3 个证明材料，本评估已达上限，未上传" in page
    assert len(assessments.attachments(db, aid)) == 3
    assert len(list(Path(capped.config["UPLOAD_FOLDER"]).iterdir())) == 3  # no stray file
    added = db.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'attachment_added' AND entity_id = ?",
        [str(aid)],
    ).fetchone()[0]
    assert added == 3


def test_the_bytes_per_assessment_are_capped(capped, db, draft):
    inspector, aid = draft
    big = PNG + b"\x00" * (int(1.2 * MB) - len(PNG))
    assert "已上传" in flashes(inspector, upload(inspector, aid, big))
    page = flashes(inspector, upload(inspector, aid, big))
    assert "文件：每份评估的证明材料合计不能超过 2 MB（已上传 1.2 MB），未上传" in page
    assert len(assessments.attachments(db, aid)) == 1
    # exactly up to the limit is fine
    rest = PNG + b"\x00" * (2 * MB - len(big) - len(PNG))
    assert "已上传" in flashes(inspector, upload(inspector, aid, rest))
    assert sum(r["size"] for r in assessments.attachments(db, aid)) == 2 * MB


def test_the_default_cap_is_60_files_and_300_mb(app):
    assert app.config["EVIDENCE_FILES_PER_ASSESSMENT"] == 60
    assert app.config["EVIDENCE_BYTES_PER_ASSESSMENT"] == 300 * 1024 * 1024


def test_the_cap_holds_when_uploads_race(app, db, draft):
    """20 uploads at once against a cap of 5, each on its own connection: exactly 5 rows."""
    _inspector, aid = draft
    user = users.by_username(db, "yubei")
    path = app.config["DATABASE"]
    start = threading.Barrier(20)
    outcomes: list[str] = []

    def one(i: int) -> None:
        conn = store.connect(path)
        try:
            start.wait()
            assessments.add_attachment(
                conn,
                {
                    "assessment_id": aid,
                    "indicator": None,
                    "filename": f"{i}.png",
                    "stored_name": f"race-{i}.png",
                    "sha256": "0" * 64,
                    "content_type": "image/png",
                    "size": 10,
                },
                user=user,
                max_files=5,
            )
            outcomes.append("added")
        except assessments.AttachmentLimit:
            outcomes.append("refused")
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["added"] * 5 + ["refused"] * 15
    assert len(assessments.attachments(db, aid)) == 5
