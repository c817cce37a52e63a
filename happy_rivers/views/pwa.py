"""The installable, offline-capable app: web app manifest, service worker and offline page.

The service worker (static/js/service-worker.js, Workbox vendored in static/vendor/workbox/) is
served from the site root so that its scope covers every page. Its precache list — each app
shell file and rubric JSON with a hash of its content — is computed here from the files
themselves and written at the top of the script. So a deployment that changes any cached file
changes the script's bytes, the browser installs the new worker, Workbox fetches only the
changed files, and the separate cache of pages the inspector opened is left alone (cached forms
stay available offline through the update). No build step and no node at run time.
"""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, current_app, render_template, url_for
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from happy_rivers import scoring
from happy_rivers.scoring.client import document_revision
from happy_rivers.translations import N_

from .i18n import current_language

bp = Blueprint("pwa", __name__)

SERVICE_WORKER_SOURCE = "js/service-worker.js"
# what the pages load: styles, scripts, icons and the vendored libraries they use. The Workbox
# modules are not listed: the browser keeps a worker's importScripts() with the worker itself.
SHELL_SUFFIXES = (".css", ".js", ".svg", ".png", ".woff2")
NOT_PRECACHED = ("vendor/workbox/", SERVICE_WORKER_SOURCE)

_digests: dict[tuple[str, int, int], str] = {}

# The offline client's texts (static/js/offline.js reads them from the page's JSON block,
# templates/pwa/_client.html). {n}, {label} and {status} are filled in by the script.
OFFLINE_TEXTS = {
    "offline": N_("当前离线：填写的内容保存在本机，联网后自动同步"),
    "restored": N_("已恢复本机未同步的内容"),
    "restored_stale": N_(
        "已恢复本机未同步的内容；其中 %(n)s 项在服务器上已被他人修改，保存时将显示对照"
    ),
    "queued": N_("已离线保存，联网后自动同步"),
    "pending_here": N_("本页有待同步的内容，联网后自动同步"),
    "synced": N_("已同步 %(n)s 项"),
    "signed_out": N_("登录已过期：请重新登录后自动同步"),
    "badge_label": N_("待同步 %(n)s 项"),
    "conflict": N_("「%(label)s」与他人的修改冲突，尚未同步"),
    "open_conflict": N_("打开冲突对照"),
    "invalid": N_("「%(label)s」未通过检查，尚未同步"),
    "open_invalid": N_("打开表单查看错误"),
    "refused": N_("「%(label)s」被服务器拒绝（%(status)s）"),
    "discard": N_("放弃此项"),
    "take_photo": N_("拍照取证"),
    "photo_preparing": N_("正在读取拍摄时间、地点并压缩照片……"),
    "photo_label": N_("证明材料「%(name)s」"),
    "photo_sending": N_("正在上传……"),
    "photo_queued": N_("已保存在本机，联网后自动上传"),
    "photo_waiting": N_("待上传"),
    "photo_uploaded": N_("已上传"),
    "sign_out_confirm": N_(
        "本机还有 %(n)s 项未同步的内容。退出后它们将从本机删除，无法恢复。仍要退出吗？"
    ),
}
# the script's placeholders, given as the values of the texts' own
PLACEHOLDERS = {"n": "{n}", "label": "{label}", "status": "{status}", "name": "{name}"}


def offline_texts() -> dict[str, str]:
    """OFFLINE_TEXTS in the page's language. Every signed-in page carries them, so they are
    translated once per language rather than two dozen times per page."""
    return _offline_texts(current_language())


@lru_cache(maxsize=8)  # per language
def _offline_texts(language: str) -> dict[str, str]:
    return {
        key: gettext(text, **{k: v for k, v in PLACEHOLDERS.items() if f"%({k})s" in text})
        for key, text in OFFLINE_TEXTS.items()
    }


@bp.app_context_processor
def offline_client():
    return {"offline_texts": offline_texts}


def _digest(path: Path) -> str:
    """Content hash of a file, remembered while its size and mtime stay the same."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _digests:
        _digests[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return _digests[key]


def shell_files() -> list[tuple[str, Path]]:
    """(name under static/, path) of every app shell file, sorted for a stable manifest."""
    root = Path(current_app.static_folder)
    files = []
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_file() and name.endswith(SHELL_SUFFIXES) and not name.startswith(NOT_PRECACHED):
            files.append((name, path))
    return files


def rubric_entries() -> list[dict]:
    """Every rubric version's JSON, when the app serves it (GET /rubrics/<id>/<version>.json)."""
    adapter = current_app.url_map.bind("localhost")
    entries = []
    for rubric_id in scoring.available_rubrics():
        for version in scoring.available_versions(rubric_id):
            url = f"/rubrics/{rubric_id}/{version}.json"
            try:
                adapter.match(url, method="GET")
            except HTTPException:
                continue  # not served (yet): a precache entry that 404s would fail the install
            # the served JSON's own hash: it also changes with an inherited rubric's file and
            # with the document's shape (scoring/client.py), not only with this TOML file
            revision = document_revision(scoring.load_rubric(rubric_id, version))
            entries.append({"url": url, "revision": revision})
    return entries


def precache_manifest() -> list[dict]:
    """[{url, revision}] for Workbox: the app shell, the rubric data and the offline page."""
    entries = [
        {"url": url_for("static", filename=name), "revision": _digest(path)}
        for name, path in shell_files()
    ]
    entries += rubric_entries()
    # the offline page changes with its template and with the English catalog
    offline_sources = [
        Path(current_app.root_path) / "templates" / "pwa" / "offline.html",
        *sorted(Path(current_app.root_path, "translations").glob("*/LC_MESSAGES/messages.po")),
    ]
    revision = hashlib.sha256("".join(_digest(p) for p in offline_sources).encode()).hexdigest()
    entries.append({"url": url_for("pwa.offline"), "revision": revision[:16]})
    return entries


@bp.get("/sw.js")
def service_worker():
    source = Path(current_app.static_folder, SERVICE_WORKER_SOURCE).read_text(encoding="utf-8")
    config = {
        "precache": precache_manifest(),
        "workboxPath": url_for("static", filename="vendor/workbox/"),
        "offlinePage": url_for("pwa.offline"),
        "storeScript": url_for("static", filename="js/offline-store.js"),
        "idbScript": url_for("static", filename="vendor/idb/idb.umd.js"),
    }
    body = f"self.HAPPY_RIVERS_SW = {json.dumps(config, ensure_ascii=False)};\n{source}"
    response = current_app.response_class(body, mimetype="text/javascript")
    # the browser re-checks the worker on every navigation; never serve a stale one
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    body = {
        "name": gettext("重庆市幸福河湖评价系统"),
        "short_name": gettext("幸福河湖"),
        "lang": "zh-CN",
        "start_url": url_for("inspect.waterbody_list"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5394",
        "icons": [
            {
                "src": url_for("static", filename="favicon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            }
        ],
    }
    return current_app.response_class(
        json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json"
    )


@bp.get("/offline")
def offline():
    """Shown for a page never opened on this device while there is no network."""
    return render_template("pwa/offline.html")
