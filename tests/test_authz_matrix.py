"""The authorization matrix: every page and action of auth, inspect, review, panel, admin, pwa,
rubrics, registry, public, inbox, publicity, schedule and survey × each role.

One table, one parametrized test. Each row names a route (with the object it is tried on) and
the EXACT answer each role gets: a status code, LOGIN (302 to the sign-in page), or a designed
redirect to a given path. A refused write must also leave the database and the upload folder
exactly as they were; an allowed write must change them.

The world (built once, copied for every test so no test sees another's writes), all in 渝北区
unless said otherwise:

    御临河 (river)       self        draft       by yubei, with one PNG attachment
    御临河 (river)       acceptance  submitted   by yubei, full answers (computed: accepted)
    长寿湖 (reservoir)   acceptance  returned    by yubei, returned by reviewer with a comment
    长寿湖 (reservoir)   self        accepted    by yubei, decided by reviewer
    长寿湖 (reservoir)   recheck     submitted   by yubei, expert panel e1, e3, e4 ("panel"):
                                                 e3 and e4 have submitted, e1 has not
    龙凤溪 (river, 北碚区) acceptance submitted by beibei, expert panel e2, e3 ("panel2")
    后河 (river)         — runs through 北碚区: beibei reads it, only 渝北区 works on it

Roles: anonymous; yubei (inspector of 渝北区, "own"); beibei (inspector of 北碚区, "other");
reviewer; admin; e1 (an expert named on "panel", "expert"); e2 (an expert named on another
panel only, "other_expert"). Extra users: "spare" (active, to deactivate) and "retired"
(inactive). yubei has one API token.

Experts are refused every page outside their panels (views.panel.confine_experts), so a row
that does not say otherwise expects 403 for both expert columns.
"""

import io
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from happy_rivers import clock, create_app, scoring, store
from happy_rivers.store import assessments, panels, publicity, surveys, users, waterbodies
from tests.answers import full_reservoir_answers, full_river_answers
from tests.conftest import PASSWORD, Browser, as_form, csrf_token

SECRET = "authz-matrix-secret"
ROLES = ("anonymous", "own", "other", "reviewer", "admin", "expert", "other_expert")
ROLE_USERS = {
    "anonymous": None,
    "own": "yubei",
    "other": "beibei",
    "reviewer": "reviewer",
    "admin": "admin",
    "expert": "e1",
    "other_expert": "e2",
}
MISSING = 9999
NEW = "lantern-ridge-2031"  # a new password that passes the policy
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
IMPORT_CSV = "名称,类型,牵头区县,途经区县\n后溪河,河流,渝北区,北碚区\n".encode()
IMPORT_TOKEN = "0" * 32  # a previewed import waiting for its commit
TODAY = clock.today().isoformat()
IN_A_MONTH = (clock.today() + timedelta(days=30)).isoformat()


# -- expectations ----------------------------------------------------------------------------

LOGIN = "LOGIN"  # 302 to /login (anonymous users are sent to sign in)


@dataclass(frozen=True)
class To:
    """A designed redirect to this path (formatted with the world's ids): 302, or 303 See Other
    for a form post that succeeded (Post/Redirect/Get)."""

    path: str
    refused: bool = False  # a write that is turned away with a message: nothing may change
    status: int = 302

    def __repr__(self) -> str:
        return f"{self.status}→{self.path}" + (" (refused)" if self.refused else "")


@dataclass(frozen=True)
class Route:
    method: str
    url: str
    expect: dict  # role → int | LOGIN | To
    data: object = None  # dict, or a callable returning one (fresh file objects per test)
    writes: bool = False  # a POST that changes data when allowed

    @property
    def name(self) -> str:
        return f"{self.method} {self.url}"


def row(
    method, url, anon, own, other, reviewer, admin, *, experts=(403, 403), data=None, writes=None
) -> Route:
    """`experts`: what the expert named on the "panel" assessment and an expert of another panel
    get (both refused by default, see the module doc)."""
    expect = dict(zip(ROLES, (anon, own, other, reviewer, admin, *experts), strict=True))
    if writes is None:
        writes = method == "POST"
    return Route(method, url, expect, data, writes)


def same(value):
    """The same answer for every signed-in role."""
    return (value,) * 4


def full_river_form(version_key: str) -> dict:
    return as_form("cq-river", full_river_answers()) | {"version": version_key, "action": "save"}


def upload():
    return {"indicator": "", "file": (io.BytesIO(PNG), "现场照片.png")}


VIEW = "/assessments/{%s}"
EDIT = "/assessments/{%s}/edit"
PANEL = "/assessments/{%s}/panel"
MINE = "/assessments/{%s}/panel/me"
CLOSE = "/assessments/{%s}/panel/close"


def expert_form(action: str) -> dict:
    """An expert's complete answers of the panel indicators, as the page posts them."""
    data = {"action": action}
    for code in ("A14", "A15", "A17"):
        data |= {f"{code}.points": "4", f"{code}.note": "现场查看"}
    return data


# fmt: off
MATRIX: list[Route] = [
    # auth -----------------------------------------------------------------------------------------
    row("GET", "/login", 200, *same(200), experts=(200, 200)),
    row("POST", "/login", 200, *same(200), experts=(200, 200),
        data={"username": "nobody", "password": "wrong-password"}, writes=False),
    row("POST", "/logout", LOGIN, *same(To("/login")), experts=(To("/login"),) * 2, writes=False),
    # pwa: public, nothing user-specific (the worker must load and update even when signed out) --
    row("GET", "/sw.js", 200, *same(200), experts=(200, 200)),
    row("GET", "/manifest.webmanifest", 200, *same(200), experts=(200, 200)),
    row("GET", "/offline", 200, *same(200), experts=(200, 200)),
    # own account: password and API tokens (experts too) ---------------------------------------
    row("GET", "/account/password", LOGIN, *same(200), experts=(200, 200)),
    row("POST", "/account/password", LOGIN, *same(To("/")), experts=(To("/"),) * 2,
        data={"current_password": PASSWORD, "new_password": NEW, "confirm": NEW}),
    row("POST", "/account/password", LOGIN, *same(422), experts=(422, 422),
        data={"current_password": PASSWORD, "new_password": NEW, "confirm": "other"}),
    row("GET", "/account/tokens", LOGIN, *same(200), experts=(200, 200)),
    row("POST", "/account/tokens/{token}/revoke", LOGIN, To("/account/tokens"), 404, 404, 404,
        experts=(404, 404)),
    row("POST", "/account/tokens/{missing}/revoke", LOGIN, *same(404), experts=(404, 404)),
    # inspect: waterbodies -------------------------------------------------------------------------
    # an inspector lands on their to-do list, a reviewer on the review queue
    row("GET", "/", LOGIN, 200, 200, To("/review"), To("/waterbodies"),
        experts=(To("/panel"),) * 2),
    row("GET", "/waterbodies", LOGIN, *same(200)),
    row("GET", "/waterbodies?district=500109", LOGIN, *same(200)),
    row("GET", "/waterbodies/{yulin}", LOGIN, 200, 404, 200, 200),
    row("GET", "/waterbodies/{missing}", LOGIN, *same(404)),
    row("POST", "/waterbodies/{yulin}/assessments", LOGIN,
        To(EDIT % "new"), 404, 403, To(EDIT % "new"), data={"kind": "recheck"}),
    row("POST", "/waterbodies/{yulin}/assessments", LOGIN,
        To(EDIT % "draft", refused=True), 404, 403, To(EDIT % "draft", refused=True),
        data={"kind": "self"}),  # already open: the existing draft opens, nothing is created
    row("POST", "/waterbodies/{missing}/assessments", LOGIN, 404, 404, 403, 404,
        data={"kind": "self"}),
    # the blank form that creates with answers (cached for offline use; writes nothing)
    row("GET", "/waterbodies/{yulin}/assessments/new?kind=self", LOGIN, 200, 404, 403, 200),
    row("GET", "/waterbodies/{yulin}/assessments/new?kind=bogus", LOGIN, 404, 404, 403, 404),
    row("GET", "/waterbodies/{missing}/assessments/new", LOGIN, 404, 404, 403, 404),
    row("POST", "/waterbodies/{yulin}/assessments", LOGIN,
        To(EDIT % "new", status=303), 404, 403, To(EDIT % "new", status=303),
        data={"kind": "recheck", "action": "save", "A1": "90"}),  # created with its answers
    row("POST", "/waterbodies/{yulin}/assessments", LOGIN,
        To(EDIT % "draft", status=303), 404, 403, To(EDIT % "draft", status=303),
        data={"kind": "self", "action": "save", "A1": "90"}),  # into the untouched open draft
    # inspect: the form, by status -----------------------------------------------------------------
    row("GET", EDIT % "draft", LOGIN, 200, 404, To(VIEW % "draft"), 200),
    row("POST", EDIT % "draft", LOGIN, To(EDIT % "draft", status=303), 404,
        To(VIEW % "draft", refused=True), To(EDIT % "draft", status=303),
        data={"version": "{v_draft}", "action": "save", "A1": "90"}),
    row("POST", EDIT % "draft", LOGIN, 409, 404, To(VIEW % "draft", refused=True), 409,
        data={"version": "0", "action": "save", "A1": "90"}),  # stale version: conflict
    row("GET", EDIT % "returned", LOGIN, 200, 404, To(VIEW % "returned"), 200),
    row("POST", EDIT % "returned", LOGIN, To(EDIT % "returned", status=303), 404,
        To(VIEW % "returned", refused=True), To(EDIT % "returned", status=303),
        data={"version": "{v_returned}", "action": "save", "B3": "1"}),
    row("GET", EDIT % "submitted", LOGIN, To(VIEW % "submitted"), 404, 200, 200),
    row("POST", EDIT % "submitted", LOGIN, To(VIEW % "submitted", refused=True), 404,
        To(EDIT % "submitted", status=303), To(EDIT % "submitted", status=303),
        data=lambda: full_river_form("{v_submitted}")),  # a reviewer's correction
    row("GET", EDIT % "decided", LOGIN, To(VIEW % "decided"), 404, To(VIEW % "decided"),
        To(VIEW % "decided")),
    row("POST", EDIT % "decided", LOGIN, *[To(VIEW % "decided", refused=True), 404,
        To(VIEW % "decided", refused=True), To(VIEW % "decided", refused=True)],
        data={"version": "{v_decided}", "action": "save", "B3": "2"}),
    row("GET", "/assessments/{missing}/edit", LOGIN, *same(404)),
    row("POST", "/assessments/{missing}/edit", LOGIN, *same(404),
        data={"version": "1", "action": "save"}),
    # inspect: preview (never writes) --------------------------------------------------------------
    row("POST", "/assessments/{draft}/preview", LOGIN, 200, 404, 200, 200,
        data={"A1": "90"}, writes=False),
    row("POST", "/assessments/{decided}/preview", LOGIN, 200, 404, 200, 200,
        data={"B3": "1"}, writes=False),
    row("POST", "/assessments/{missing}/preview", LOGIN, *same(404), data={}, writes=False),
    # inspect: the result page ---------------------------------------------------------------------
    row("GET", VIEW % "draft", LOGIN, 200, 404, 200, 200, experts=(404, 404)),
    row("GET", VIEW % "returned", LOGIN, 200, 404, 200, 200, experts=(404, 404)),
    row("GET", VIEW % "submitted", LOGIN, 200, 404, 200, 200, experts=(404, 404)),
    row("GET", VIEW % "decided", LOGIN, 200, 404, 200, 200, experts=(404, 404)),
    row("GET", VIEW % "panel", LOGIN, 200, 404, 200, 200, experts=(200, 404)),
    row("GET", "/assessments/{missing}", LOGIN, *same(404), experts=(404, 404)),
    # inspect: evidence ----------------------------------------------------------------------------
    row("POST", "/assessments/{draft}/attachments", LOGIN,
        To(EDIT % "draft"), 404, 403, To(EDIT % "draft"), data=upload),
    row("POST", "/assessments/{returned}/attachments", LOGIN,
        To(EDIT % "returned"), 404, 403, To(EDIT % "returned"), data=upload),
    row("POST", "/assessments/{submitted}/attachments", LOGIN,
        403, 404, To(EDIT % "submitted"), To(EDIT % "submitted"), data=upload),
    row("POST", "/assessments/{decided}/attachments", LOGIN, 403, 404, 403, 403, data=upload),
    row("POST", "/assessments/{missing}/attachments", LOGIN, *same(404), data=upload),
    row("GET", "/attachments/{attachment}", LOGIN, 200, 404, 200, 200, experts=(404, 404)),
    row("GET", "/attachments/{missing}", LOGIN, *same(404), experts=(404, 404)),
    # review ---------------------------------------------------------------------------------------
    row("GET", "/review", LOGIN, 403, 403, 200, 200),
    row("GET", "/review?status=ready&district=500112&kind=acceptance&resubmitted=1", LOGIN,
        403, 403, 200, 200),
    row("GET", "/review?status=returned", LOGIN, 403, 403, 200, 200),
    row("GET", "/review?status=lost&district=nowhere", LOGIN, 403, 403, 422, 422),
    row("POST", "/assessments/{submitted}/review", LOGIN, 403, 403,
        To(VIEW % "submitted"), To(VIEW % "submitted"),
        data={"action": "accept", "version": "{v_submitted}"}),
    row("POST", "/assessments/{submitted}/review", LOGIN, 403, 403,
        To(VIEW % "submitted"), To(VIEW % "submitted"),
        data={"action": "return", "comment": "请补充水质报告", "version": "{v_submitted}"}),
    row("POST", "/assessments/{submitted}/review", LOGIN, 403, 403, 422, 422,
        data={"action": "return", "comment": "  ", "version": "{v_submitted}"}),
    row("POST", "/assessments/{submitted}/review", LOGIN, 403, 403, 422, 422,
        data={"action": "reject", "version": "{v_submitted}"}),  # differs, no reason
    row("POST", "/assessments/{submitted}/review", LOGIN, 403, 403,
        To(VIEW % "submitted", refused=True), To(VIEW % "submitted", refused=True),
        data={"action": "accept", "version": "1"}),  # stale version
    row("POST", "/assessments/{decided}/review", LOGIN, 403, 403,
        To(VIEW % "decided", refused=True), To(VIEW % "decided", refused=True),
        data={"action": "reject", "override_reason": "复核", "version": "{v_decided}"}),
    row("POST", "/assessments/{draft}/review", LOGIN, 403, 403,
        To(VIEW % "draft", refused=True), To(VIEW % "draft", refused=True),
        data={"action": "return", "comment": "x", "version": "{v_draft}"}),
    row("POST", "/assessments/{missing}/review", LOGIN, 403, 403, 404, 404,
        data={"action": "accept"}),
    row("POST", "/assessments/{panel}/review", LOGIN, 403, 403, 422, 422,
        data={"action": "accept", "version": "{v_panel}"}),  # e1 has not scored yet
    row("POST", "/assessments/{panel}/review", LOGIN, 403, 403,
        To(VIEW % "panel"), To(VIEW % "panel"),
        data={"action": "return", "comment": "请补充", "version": "{v_panel}"}),
    # panel: the experts' queue, naming, each expert's scoring, closing ----------------------------
    row("GET", "/panel", LOGIN, 403, 403, 403, 403, experts=(200, 200)),
    row("POST", PANEL % "submitted", LOGIN, 403, 403,
        To(VIEW % "submitted"), To(VIEW % "submitted"), data={"experts": ["e1", "e2"]}),
    row("POST", PANEL % "submitted", LOGIN, 403, 403, 422, 422, data={"experts": ["e1"]}),
    row("POST", PANEL % "submitted", LOGIN, 403, 403, 422, 422,
        data={"experts": ["e1", "reviewer"]}),  # not an expert
    row("POST", PANEL % "panel", LOGIN, 403, 403,
        To(VIEW % "panel", refused=True), To(VIEW % "panel", refused=True),
        data={"experts": ["e1", "e2"]}),  # named already
    row("POST", PANEL % "draft", LOGIN, 403, 403,
        To(VIEW % "draft", refused=True), To(VIEW % "draft", refused=True),
        data={"experts": ["e1", "e2"]}),  # a self-assessment, not submitted
    row("POST", PANEL % "missing", LOGIN, 403, 403, 404, 404, data={"experts": ["e1", "e2"]}),
    row("GET", MINE % "panel", LOGIN, *same(403), experts=(200, 404)),
    row("GET", MINE % "panel2", LOGIN, *same(403), experts=(404, 200)),
    row("GET", MINE % "missing", LOGIN, *same(403), experts=(404, 404)),
    row("POST", MINE % "panel", LOGIN, *same(403), experts=(To(MINE % "panel", status=303), 404),
        data={"action": "save", "A14.points": "4", "A14.note": "古桥保护较好"}),
    row("POST", MINE % "panel", LOGIN, *same(403), experts=(To(VIEW % "panel"), 404),
        data=lambda: expert_form("submit")),
    row("POST", MINE % "panel", LOGIN, *same(403), experts=(422, 404),
        data={"action": "save", "A14.points": "4.2", "A14.note": "古桥"}),
    row("POST", MINE % "panel", LOGIN, *same(403), experts=(422, 404),
        data={"action": "submit", "A14.points": "4", "A14.note": "古桥"}),  # A15, A17 missing
    row("POST", MINE % "missing", LOGIN, *same(403), experts=(404, 404),
        data={"action": "save"}),
    row("POST", CLOSE % "panel", LOGIN, 403, 403, To(VIEW % "panel"), To(VIEW % "panel"),
        data={"reason": "专家1 出差"}),
    row("POST", CLOSE % "panel", LOGIN, 403, 403, 422, 422, data={"reason": " "}),
    row("POST", CLOSE % "panel2", LOGIN, 403, 403,
        To(VIEW % "panel2", refused=True), To(VIEW % "panel2", refused=True),
        data={"reason": "不足 2 位"}),  # nobody has submitted
    row("POST", CLOSE % "submitted", LOGIN, 403, 403,
        To(VIEW % "submitted", refused=True), To(VIEW % "submitted", refused=True),
        data={"reason": "没有专家组"}),
    row("POST", CLOSE % "missing", LOGIN, 403, 403, 404, 404, data={"reason": "x"}),
    # admin ----------------------------------------------------------------------------------------
    row("GET", "/admin/users", LOGIN, 403, 403, 403, 200),
    row("POST", "/admin/users", LOGIN, 403, 403, 403, To("/admin/users"),
        data={"username": "newbie", "role": "inspector", "district": "500112",
              "password": "a-long-password"}),
    row("POST", "/admin/users", LOGIN, 403, 403, 403, 422,
        data={"username": "newbie", "role": "inspector", "district": "",
              "password": "a-long-password"}),
    row("POST", "/admin/users/{spare}/deactivate", LOGIN, 403, 403, 403, To("/admin/users")),
    row("POST", "/admin/users/{retired}/activate", LOGIN, 403, 403, 403, To("/admin/users")),
    row("POST", "/admin/users/{retired}/deactivate", LOGIN, 403, 403, 403,
        To("/admin/users", refused=True)),  # already inactive
    row("POST", "/admin/users/{admin_id}/deactivate", LOGIN, 403, 403, 403,
        To("/admin/users", refused=True)),  # an administrator cannot deactivate themself
    row("POST", "/admin/users/{missing}/deactivate", LOGIN, 403, 403, 403, 404),
    row("POST", "/admin/users/{missing}/activate", LOGIN, 403, 403, 403, 404),
    row("GET", "/admin/users/{spare}", LOGIN, 403, 403, 403, 200),
    row("GET", "/admin/users/{missing}", LOGIN, 403, 403, 403, 404),
    row("POST", "/admin/users/{spare}", LOGIN, 403, 403, 403, To("/admin/users"),
        data={"role": "reviewer", "district": ""}),
    row("POST", "/admin/users/{spare}", LOGIN, 403, 403, 403, 422,
        data={"role": "inspector", "district": ""}),
    row("POST", "/admin/users/{admin_id}", LOGIN, 403, 403, 403, 422,
        data={"role": "reviewer", "district": ""}),  # an administrator cannot demote themself
    row("POST", "/admin/users/{missing}", LOGIN, 403, 403, 403, 404,
        data={"role": "reviewer", "district": ""}),
    row("POST", "/admin/users/{spare}/password", LOGIN, 403, 403, 403, To("/admin/users"),
        data={"password": "temporary-river-88"}),
    row("POST", "/admin/users/{spare}/password", LOGIN, 403, 403, 403, 422,
        data={"password": "short"}),
    row("POST", "/admin/users/{missing}/password", LOGIN, 403, 403, 403, 404,
        data={"password": "temporary-river-88"}),
    row("GET", "/admin/audit", LOGIN, 403, 403, 403, 200),
    row("GET", "/admin/audit?action=login&since=2020-01-01&until=2099-12-31", LOGIN,
        403, 403, 403, 200),
    row("GET", "/admin/audit?since=not-a-date&entity_id=7", LOGIN, 403, 403, 403, 200),
    # rubric data for the device: public (the service worker may precache it before sign-in)
    row("GET", "/rubrics/cq-river/2025.1.json", 200, *same(200), experts=(200, 200)),
    row("GET", "/rubrics/cq-reservoir/2025.1.json", 200, *same(200), experts=(200, 200)),
    row("GET", "/rubrics/cq-river/1999.1.json", 404, *same(404), experts=(404, 404)),
    # registry: a cross-boundary river (led by 渝北区, through 北碚区) ---------------------------
    row("GET", "/waterbodies/{houhe}", LOGIN, 200, 200, 200, 200),
    row("POST", "/waterbodies/{houhe}/assessments", LOGIN,
        To(EDIT % "new"), 403, 403, To(EDIT % "new"), data={"kind": "self"}),
    row("GET", "/waterbodies?q=houhe", LOGIN, *same(200)),
    row("GET", "/waterbodies?sort=name&order=desc", LOGIN, *same(200)),
    # registry: the admin form -----------------------------------------------------------------
    row("GET", "/admin/waterbodies/new", LOGIN, 403, 403, 403, 200),
    row("POST", "/admin/waterbodies/new", LOGIN, 403, 403, 403,
        To("/waterbodies/{new_waterbody}", status=303),
        data={"name": "新河", "kind": "river", "district": "500112", "through": ["500109"]}),
    row("POST", "/admin/waterbodies/new", LOGIN, 403, 403, 403, 422,
        data={"name": "御临河", "kind": "river", "district": "500112"}),  # exists already
    row("GET", "/admin/waterbodies/{yulin}/edit", LOGIN, 403, 403, 403, 200),
    row("GET", "/admin/waterbodies/{missing}/edit", LOGIN, 403, 403, 403, 404),
    row("POST", "/admin/waterbodies/{yulin}/edit", LOGIN, 403, 403, 403,
        To("/waterbodies/{yulin}", status=303),
        data={"name": "御临河", "kind": "river", "district": "500112", "river_chief": "张三"}),
    row("POST", "/admin/waterbodies/{yulin}/edit", LOGIN, 403, 403, 403, 422,
        data={"name": "御临河", "kind": "river", "district": "500112", "lon": "200"}),
    row("POST", "/admin/waterbodies/{missing}/edit", LOGIN, 403, 403, 403, 404,
        data={"name": "x", "kind": "river", "district": "500112"}),
    # registry: import, template, export -------------------------------------------------------
    row("GET", "/admin/waterbodies/import", LOGIN, 403, 403, 403, 200),
    row("POST", "/admin/waterbodies/import", LOGIN, 403, 403, 403, 200,
        data=lambda: {"file": (io.BytesIO(IMPORT_CSV), "河湖.csv")}, writes=False),  # preview
    row("POST", "/admin/waterbodies/import", LOGIN, 403, 403, 403, 422,
        data=lambda: {"file": (io.BytesIO(b"x,y\n1,2\n"), "bad.csv")}, writes=False),
    row("POST", "/admin/waterbodies/import/{import_token}", LOGIN, 403, 403, 403,
        To("/waterbodies", status=303)),
    row("POST", "/admin/waterbodies/import/" + "f" * 32, LOGIN, 403, 403, 403,
        To("/admin/waterbodies/import", refused=True)),  # spent or never made
    row("POST", "/admin/waterbodies/import/not-a-token", LOGIN, 403, 403, 403, 404),
    row("GET", "/admin/waterbodies/template.xlsx", LOGIN, 403, 403, 403, 200),
    row("GET", "/admin/waterbodies/template.csv", LOGIN, 403, 403, 403, 200),
    row("GET", "/admin/waterbodies/template.pdf", LOGIN, 403, 403, 403, 404),
    row("GET", "/waterbodies/export.csv", LOGIN, *same(200)),
    row("GET", "/waterbodies/export.xlsx", LOGIN, *same(200)),
    row("GET", "/waterbodies/export.pdf", LOGIN, *same(404)),
    # public pages: no sign-in, the same answer for everybody ------------------------------------
    row("GET", "/public", 200, *same(200), experts=(200, 200)),
    row("GET", "/public/districts/500112", 200, *same(200), experts=(200, 200)),
    row("GET", "/public/districts/999999", 404, *same(404), experts=(404, 404)),
    row("GET", "/public/waterbodies/{changshou}", 200, *same(200), experts=(200, 200)),  # named
    row("GET", "/public/waterbodies/{yulin}", 404, *same(404), experts=(404, 404)),  # not named
    row("GET", "/public/waterbodies/{missing}", 404, *same(404), experts=(404, 404)),
    # schedule: every district for the city, an inspector's own; experts have none -------------
    row("GET", "/schedule", LOGIN, *same(200)),
    row("GET", "/schedule?window=all&kind=recheck&district=500112", LOGIN, *same(200)),
    row("GET", "/schedule?window=soon", LOGIN, *same(422)),
    row("GET", "/schedule.csv", LOGIN, *same(200)),
    row("GET", "/schedule.xlsx?window=all", LOGIN, *same(200)),
    # inbox: everybody's own notifications (yubei's "returned" one is {notification}) ----------
    row("GET", "/inbox", LOGIN, *same(200), experts=(200, 200)),
    row("GET", "/inbox?unread=1", LOGIN, *same(200), experts=(200, 200)),
    row("GET", "/inbox/{notification}", LOGIN, To(VIEW % "returned"), 404, 404, 404,
        experts=(404, 404)),  # opens (and marks read) only one's own
    row("GET", "/inbox/{missing}", LOGIN, *same(404), experts=(404, 404)),
    # marking read answers the same whether or not one had anything unread: not a "write" here
    row("POST", "/inbox/read", LOGIN, *same(To("/inbox", status=303)),
        experts=(To("/inbox", status=303),) * 2, data={"ids": ["{notification}"]}, writes=False),
    row("POST", "/inbox/read", LOGIN, *same(To("/inbox", status=303)),
        experts=(To("/inbox", status=303),) * 2, data={"all": "1"}, writes=False),
    row("POST", "/inbox/email", LOGIN, *same(To("/inbox", status=303)),
        experts=(To("/inbox", status=303),) * 2, data={"email": "me@example.com"}),
    row("POST", "/inbox/email", LOGIN, *same(422), experts=(422, 422), data={"email": "me@"}),
    # 公示 and 命名: administrators only; the open notices are public ------------------------------
    row("GET", "/publicity", LOGIN, 403, 403, 403, 200),
    row("POST", "/publicity", LOGIN, 403, 403, 403, To("/publicity/{new_batch}", status=303),
        data={"assessment_ids": "{awaiting}", "starts_on": "2025-06-03", "working_days": "5",
              "contact": "市河长办"}),
    row("POST", "/publicity", LOGIN, 403, 403, 403, 422,
        data={"assessment_ids": "{awaiting}", "starts_on": "2025-05-30", "contact": "市河长办"}),
    row("GET", "/publicity/{batch}", LOGIN, 403, 403, 403, 200),
    row("GET", "/publicity/{missing}", LOGIN, 403, 403, 403, 404),
    row("POST", "/publicity/{batch}/objections", LOGIN, 403, 403, 403,
        To("/publicity/{batch}", status=303),
        data={"received_on": "2025-06-05", "channel": "letter", "content": "来信"}),
    row("POST", "/publicity/{batch}/objections", LOGIN, 403, 403, 403, 422,
        data={"received_on": "2025-06-05", "channel": "pigeon", "content": "来信"}),
    row("POST", "/publicity/{missing}/objections", LOGIN, 403, 403, 403, 404,
        data={"received_on": "2025-06-05", "channel": "letter", "content": "来信"}),
    row("POST", "/publicity/{batch}/objections/{objection}/resolution", LOGIN, 403, 403, 403,
        To("/publicity/{batch}", status=303), data={"resolution": "已答复来信人"}),
    row("POST", "/publicity/{batch}/objections/{missing}/resolution", LOGIN, 403, 403, 403,
        404, data={"resolution": "已答复来信人"}),
    row("POST", "/publicity/{batch}/name", LOGIN, 403, 403, 403,
        To("/publicity/{batch}", status=303), data={"named_on": "2025-06-20"}),
    row("POST", "/publicity/{batch}/name", LOGIN, 403, 403, 403, 422,
        data={"named_on": "2025-06-09"}),  # the notice's last day: naming from 06-10
    row("GET", "/public/publicity", 200, *same(200), experts=(200, 200)),
    # the satisfaction survey: anyone answers (no sign-in); administrators run it ---------------
    row("GET", "/s/{survey_token}", 200, *same(200), experts=(200, 200)),
    row("GET", "/s/{closed_token}", 200, *same(200), experts=(200, 200)),  # says it is closed
    row("GET", "/s/no-such-survey", 404, *same(404), experts=(404, 404)),
    row("GET", "/s/{survey_token}/thanks", 200, *same(200), experts=(200, 200)),
    # a post without the signed form of this device is refused (and counted, not kept)
    row("POST", "/s/{survey_token}", 400, *same(400), experts=(400, 400),
        data={"overall": "satisfied"}, writes=False),
    row("POST", "/s/no-such-survey", 404, *same(404), experts=(404, 404),
        data={"overall": "satisfied"}, writes=False),
    row("GET", "/admin/surveys", LOGIN, 403, 403, 403, 200),
    row("POST", "/admin/surveys", LOGIN, 403, 403, 403, To("/surveys/{new_survey}", status=303),
        data={"waterbody": "{houhe}", "opens_on": TODAY, "closes_on": IN_A_MONTH}),
    row("POST", "/admin/surveys", LOGIN, 403, 403, 403, 422,
        data={"waterbody": "{yulin}", "opens_on": TODAY, "closes_on": IN_A_MONTH}),  # one open
    row("POST", "/admin/surveys", LOGIN, 403, 403, 403, 422,
        data={"waterbody": "{houhe}", "opens_on": TODAY, "closes_on": ""}),
    row("GET", "/surveys/{survey}", LOGIN, 403, 403, 200, 200),
    row("GET", "/surveys/{missing}", LOGIN, 403, 403, 404, 404),
    row("POST", "/surveys/{survey}/close", LOGIN, 403, 403, 403,
        To("/surveys/{survey}", status=303)),
    row("POST", "/surveys/{closed_survey}/close", LOGIN, 403, 403, 403,
        To("/surveys/{closed_survey}", refused=True)),  # closed already
    row("POST", "/surveys/{missing}/close", LOGIN, 403, 403, 403, 404),
    row("GET", "/surveys/{survey}/sign", LOGIN, 403, 403, 403, 200),
    row("GET", "/surveys/{missing}/sign", LOGIN, 403, 403, 403, 404),
]
# fmt: on

CASES = [(route, role) for route in MATRIX for role in ROLES]
BLUEPRINTS = (
    "auth",
    "inspect",
    "review",
    "panel",
    "admin",
    "pwa",
    "rubrics",
    "registry",
    "public",
    "inbox",
    "publicity",
    "schedule",
    "survey",
)


def case_id(case) -> str:
    route, role = case
    return f"{route.name}#{MATRIX.index(route)}-{role}"


def test_matrix_covers_every_route_of_the_four_blueprints(template):
    """A new route in auth/inspect/review/panel/admin/pwa/rubrics without a row here fails this
    test."""
    app = template.app
    rules = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in BLUEPRINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = set()
    for route in MATRIX:
        path = urlsplit(route.url).path
        adapter = app.url_map.bind("localhost")
        endpoint, _args = adapter.match(path.format(**template.ids), method=route.method)
        rule = next(r for r in app.url_map.iter_rules(endpoint) if route.method in r.methods)
        covered.add((route.method, rule.rule))
    assert rules - covered == set()
    assert len(CASES) == len(MATRIX) * len(ROLES)


# -- the world --------------------------------------------------------------------------------


@dataclass
class Template:
    app: object
    folder: Path
    ids: dict
    sessions: dict  # role → (session cookie, CSRF token)


def _build_world(db) -> dict:
    for username, role, district in (
        ("admin", "admin", None),
        ("reviewer", "reviewer", None),
        ("yubei", "inspector", "渝北区"),
        ("beibei", "inspector", "北碚区"),
        ("spare", "inspector", "渝北区"),
        ("retired", "reviewer", None),
        ("e1", "expert", None),
        ("e2", "expert", None),
        ("e3", "expert", None),
        ("e4", "expert", None),
    ):
        users.create(db, username, PASSWORD, role, district)
    user = {u["username"]: u for u in users.list_users(db)}
    users.set_active(db, user["retired"]["id"], False, actor=user["admin"])
    users.create_token(db, user["yubei"]["id"], "matrix")
    (token,) = db.execute("SELECT id FROM api_tokens").fetchone()
    yulin = waterbodies.create(db, {"name": "御临河", "kind": "river", "district": "渝北区"})
    changshou = waterbodies.create(
        db, {"name": "长寿湖", "kind": "reservoir", "district": "渝北区"}
    )
    longfeng = waterbodies.create(db, {"name": "龙凤溪", "kind": "river", "district": "北碚区"})
    houhe = waterbodies.create(
        db, {"name": "后河", "kind": "river", "district": "渝北区", "through": ["北碚区"]}
    )
    river = scoring.load_rubric("cq-river")
    reservoir = scoring.load_rubric("cq-reservoir")

    def make(waterbody_id, kind, rubric, answers):
        scored = scoring.score(rubric, answers).to_dict() if len(answers) > 1 else None
        return assessments.create(
            db,
            waterbody_id=waterbody_id,
            kind=kind,
            rubric_id=rubric.id,
            rubric_version=rubric.version,
            answers=answers,
            scored=scored,
            user=user["yubei"],
        )

    def submit(assessment_id, rubric, answers):
        assessments.save(
            db,
            assessment_id,
            expected_version=1,
            action="submit",
            answers=answers,
            scored=scoring.score(rubric, answers).to_dict(),
            user=user["yubei"],
        )

    draft = make(yulin, "self", river, {"gates": {}})
    submitted = make(yulin, "acceptance", river, full_river_answers())
    submit(submitted, river, full_river_answers())
    returned = make(changshou, "acceptance", reservoir, full_reservoir_answers())
    submit(returned, reservoir, full_reservoir_answers())
    assessments.review(db, returned, action="return", user=user["reviewer"], comment="请补充照片")
    decided = make(changshou, "self", reservoir, full_reservoir_answers())
    submit(decided, reservoir, full_reservoir_answers())
    assessments.review(db, decided, action="accept", user=user["reviewer"], decided_on="2025-06-01")
    paneled = make(changshou, "recheck", reservoir, full_reservoir_answers())
    submit(paneled, reservoir, full_reservoir_answers())
    panels.name(db, paneled, [user["e1"], user["e3"], user["e4"]], user=user["reviewer"])
    judged = {"points": 4, "note": "现场查看"}
    for expert in ("e3", "e4"):
        panels.save_answers(
            db, paneled, user[expert], dict.fromkeys(("A14", "A15", "A17"), judged), submit=True
        )
    paneled2 = assessments.create(
        db,
        waterbody_id=longfeng,
        kind="acceptance",
        rubric_id=river.id,
        rubric_version=river.version,
        answers=full_river_answers(),
        scored=scoring.score(river, full_river_answers()).to_dict(),
        user=user["beibei"],
    )
    assessments.save(
        db,
        paneled2,
        expected_version=1,
        action="submit",
        answers=full_river_answers(),
        scored=scoring.score(river, full_river_answers()).to_dict(),
        user=user["beibei"],
    )
    panels.name(db, paneled2, [user["e2"], user["e3"]], user=user["reviewer"])
    attachment = assessments.add_attachment(
        db,
        {
            "assessment_id": draft,
            "indicator": "A1",
            "filename": "堤防.png",
            "stored_name": "evidence.png",
            "sha256": "0" * 64,
            "content_type": "image/png",
            "size": len(PNG),
        },
        user=user["yubei"],
    )
    # 公示: 御临河's recheck accepted (in a batch, with a resolved objection, its notice long
    # over), 龙凤溪's 自评 accepted and waiting to be listed
    listed = make(yulin, "recheck", river, full_river_answers())
    submit(listed, river, full_river_answers())
    assessments.review(
        db, listed, action="accept", user=user["reviewer"], decided_on="2025-06-01", publicity=True
    )
    waiting = assessments.create(
        db,
        waterbody_id=longfeng,
        kind="self",
        rubric_id=river.id,
        rubric_version=river.version,
        answers=full_river_answers(),
        scored=scoring.score(river, full_river_answers()).to_dict(),
        user=user["beibei"],
        submit=True,
    )
    assessments.review(
        db, waiting, action="accept", user=user["reviewer"], decided_on="2025-06-01", publicity=True
    )
    batch = publicity.create(
        db,
        assessment_ids=[listed],
        starts_on=date(2025, 6, 3),
        working_days=5,
        contact="市河长办 023-6000 0000",
        user=user["admin"],
    )
    objection = publicity.add_objection(
        db,
        batch["id"],
        received_on=date(2025, 6, 4),
        channel="phone",
        content="来电反映河面有漂浮物",
        resolution="已核查清理",
        user=user["admin"],
    )
    version = {a["id"]: a["version"] for a in assessments.list_assessments(db, decode=False)}
    (notification,) = db.execute(
        "SELECT min(id) FROM notifications WHERE user_id = ?", [user["yubei"]["id"]]
    ).fetchone()
    survey = surveys.open_survey(db, yulin, TODAY, IN_A_MONTH, actor=user["admin"])
    closed = surveys.open_survey(db, changshou, TODAY, IN_A_MONTH, actor=user["admin"])
    surveys.close_survey(db, closed, actor=user["admin"])
    return {
        "notification": notification,
        "survey": survey,
        "survey_token": surveys.get(db, survey)["token"],
        "closed_survey": closed,
        "closed_token": surveys.get(db, closed)["token"],
        "new_survey": closed + 1,
        "yulin": yulin,
        "houhe": houhe,
        "new_waterbody": houhe + 1,
        "batch": batch["id"],
        "new_batch": batch["id"] + 1,
        "objection": objection["id"],
        "awaiting": waiting,
        "import_token": IMPORT_TOKEN,
        "changshou": changshou,
        "draft": draft,
        "submitted": submitted,
        "returned": returned,
        "decided": decided,
        "panel": paneled,
        "panel2": paneled2,
        "new": max(version) + 1,
        "attachment": attachment,
        "missing": MISSING,
        "spare": user["spare"]["id"],
        "retired": user["retired"]["id"],
        "admin_id": user["admin"]["id"],
        "token": token,
        "v_draft": version[draft],
        "v_submitted": version[submitted],
        "v_returned": version[returned],
        "v_decided": version[decided],
        "v_panel": version[paneled],
    }


def _config(folder: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "DATABASE": str(folder / "test.db"),
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
    }


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Template:
    """Build the world once; sign every role in once (the cookies are valid in every copy,
    which shares the secret key)."""
    folder = tmp_path_factory.mktemp("authz-template")
    app = create_app(_config(folder))
    with app.app_context():
        db = store.get_db()
        store.migrate(db)
        ids = _build_world(db)
    (folder / "uploads").mkdir()
    (folder / "uploads" / "evidence.png").write_bytes(PNG)
    (folder / "uploads" / "pending-imports").mkdir()
    (folder / "uploads" / "pending-imports" / f"{IMPORT_TOKEN}.upload").write_bytes(IMPORT_CSV)
    sessions = {}
    for role, username in ROLE_USERS.items():
        client = app.test_client()
        if username:
            browser = Browser(client)
            assert browser.login(username).status_code == 302
            token = browser.token
        else:
            token = csrf_token(client)
        sessions[role] = (client.get_cookie("session").value, token)
    return Template(app, folder, ids, sessions)


def fingerprint(app) -> tuple:
    """Everything a write could change, apart from the (append-only) audit log."""
    with app.app_context():
        db = store.get_db()
        tables = tuple(
            tuple(tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall())
            for t in (
                "assessments",
                "attachments",
                "users",
                "waterbodies",
                "panels",
                "panel_experts",
                "api_tokens",
                "publicity_batches",
                "publicity_items",
                "publicity_objections",
                "surveys",
                "survey_responses",
            )
        )
    folder = Path(app.config["UPLOAD_FOLDER"])
    return tables, tuple(sorted(p.name for p in folder.iterdir()))


def fill(value, ids: dict):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


@pytest.mark.parametrize(("route", "role"), CASES, ids=[case_id(c) for c in CASES])
def test_authorization_matrix(template, tmp_path, route, role):
    src = sqlite3.connect(template.folder / "test.db")
    dst = sqlite3.connect(tmp_path / "test.db")
    src.backup(dst)
    src.close()
    dst.close()
    shutil.copytree(template.folder / "uploads", tmp_path / "uploads")
    app = create_app(_config(tmp_path))
    client = app.test_client()
    cookie, token = template.sessions[role]
    client.set_cookie("session", cookie)
    ids = template.ids
    url = route.url.format(**ids)
    before = fingerprint(app)

    if route.method == "GET":
        response = client.get(url)
    else:
        data = route.data() if callable(route.data) else dict(route.data or {})
        data = {k: fill(v, ids) for k, v in data.items()} | {"csrf_token": token}
        response = client.post(url, data=data)

    expected = route.expect[role]
    location = urlsplit(response.headers.get("Location", "")).path
    if expected == LOGIN:
        assert (response.status_code, location) == (302, "/login")
    elif isinstance(expected, To):
        assert (response.status_code, location) == (expected.status, expected.path.format(**ids))
    else:
        assert response.status_code == expected
    # files: checked in their own tests
    downloads = ("/attachments/", "/export.", "/template.", "/schedule.")
    if (
        response.status_code == 200
        and route.method == "GET"
        and not any(d in url for d in downloads)
    ):
        # a real page (or the worker script, the manifest), not an empty 200
        body = response.get_data(as_text=True)
        if response.mimetype == "text/html":
            assert "<html" in body
        else:
            data = ("text/javascript", "application/manifest+json", "application/json")
            assert response.mimetype in data and body

    response.close()  # a file sent from disk stays open until the response is closed
    if route.writes:
        changed = fingerprint(app) != before
        refused = expected in (LOGIN, 403, 404, 409, 422) or (
            isinstance(expected, To) and expected.refused
        )
        assert changed is not refused, "a refused write changed data" if refused else "no write"
