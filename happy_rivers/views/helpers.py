"""Template helpers shared by every blueprint."""

import json

from flask import Flask, current_app, has_request_context, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from happy_rivers import clock
from happy_rivers.scoring import DECISION_LABELS, workflow
from happy_rivers.scoring.water import PARAMETER_NAMES
from happy_rivers.translations import N_

from .i18n import kind_labels, localized
from .idempotency import new_key

WATERBODY_STATUS_LABELS = {
    "planned": N_("规划中"),
    "building": N_("建设中"),
    "publicity": N_("公示中"),  # accepted, in (or waiting for) its 公示 before the naming
    "accepted": N_("市级幸福河湖"),
    "revoked": N_("已摘牌"),
}

AUDIT_LABELS = {
    "assessment_created": N_("创建评估"),
    "assessment_saved": N_("保存草稿"),
    "assessment_submitted": N_("提交审核"),
    "assessment_corrected": N_("审核员更正答案"),
    "assessment_returned": N_("退回修改"),
    "assessment_decided": N_("作出结论"),
    "review_refused": N_("审核被拒绝（职责分离）"),
    "attachment_added": N_("上传证明材料"),
    "panel_named": N_("组建专家组"),
    "panel_saved": N_("专家保存评分"),
    "panel_submitted": N_("专家提交评分"),
    "panel_closed": N_("结束专家评分"),
    "title_granted": N_("授予市级幸福河湖"),
    "title_revoked": N_("摘牌"),
    "title_pending": N_("验收通过，进入公示"),
    "publicity_published": N_("发布公示"),
    "publicity_objection": N_("登记公示异议"),
    "publicity_objection_resolved": N_("记录异议处理结果"),
    "publicity_named": N_("公示期满命名"),
    "login": N_("登录"),
    "login_failed": N_("登录失败"),
    "login_throttled": N_("登录受限（失败次数过多）"),
    "logout": N_("退出"),
    "user_created": N_("创建用户"),
    "user_deactivated": N_("停用用户"),
    "user_activated": N_("启用用户"),
    "token_created": N_("创建 API 令牌"),
    "token_revoked": N_("撤销 API 令牌"),
    "user_updated": N_("修改用户角色或区县"),
    "password_changed": N_("修改密码"),
    "password_reset": N_("管理员重置密码"),
    "waterbody_created": N_("新增河湖"),
    "waterbody_updated": N_("修改河湖"),
    "waterbody_imported": N_("导入河湖"),
    "survey_opened": N_("开启满意度调查"),
    "survey_closed": N_("结束满意度调查"),
    "notification_email_set": N_("设置通知邮箱"),
}


def flatten(value, prefix: str = "") -> dict[str, str]:
    """{"answers": {"A3": {"tp": 0.1}}} → {"answers.A3.tp": "0.1"}, for readable diffs."""
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        # the list separator is a message: 、 in Chinese, a comma in English
        return {prefix: gettext("、").join(map(str, value)) or gettext("（空）")}
    return {prefix: "—" if value is None else str(value)}


def audit_diff(row: dict) -> list[tuple[str, str, str]]:
    """What an audit row changed: (field, before, after) for every value that differs."""
    before_raw = json.loads(row["before"]) if row.get("before") else {}
    after_raw = json.loads(row["after"]) if row.get("after") else {}
    if not before_raw and isinstance(after_raw.get("answers"), dict):
        # a creation: listing every first answer would bury the history; say how many
        answered = [k for k, v in after_raw["answers"].items() if k != "gates" and v is not None]
        after_raw = {k: v for k, v in after_raw.items() if k != "answers"}
        after_raw["answers"] = gettext("%(n)s 项", n=len(answered))
    before, after = flatten(before_raw), flatten(after_raw)
    keys = sorted(set(before) | set(after))
    pairs = [(k, before.get(k, "—"), after.get(k, "—")) for k in keys]
    return [(k, b, a) for k, b, a in pairs if b != a]


def field_id(path: str) -> str:
    """Anchor of the indicator (or the gates block) an error path belongs to."""
    head = path.split(".")[0]
    return "gates" if head == "gates" else f"ind-{head}"


ERROR_PAGES = {
    400: ("请求无效", "页面已过期或请求不完整（例如表单的安全令牌失效），请刷新页面后重试。"),
    403: ("无权访问", "您的账号没有执行此操作的权限。"),
    404: ("未找到", "没有这个页面，或它不在您有权查看的范围内。"),
    405: ("不支持的操作", "该地址不支持这种请求方式。"),
    413: ("文件过大", "上传的内容超过了大小限制（单个文件 8 MB）。"),
    429: ("请求过于频繁", "请稍后再试。"),
    500: ("服务器出错", "处理请求时出错，您的数据未被部分写入。请稍后重试，或联系管理员。"),
}


def render_error(error: HTTPException):
    """Chinese error pages for the browser; the API blueprint answers JSON on its own."""
    title, message = ERROR_PAGES.get(error.code or 500, (error.name, error.description))
    return render_template("error.html", title=title, message=message), error.code


# public pages other features add, linked from the public navigation once their route exists
OTHER_PAGES = {"/public/publicity": N_("公示")}


def public_links() -> list[tuple[str, str]]:
    """The other public pages that exist in this deployment (公示 comes with the publicity
    feature), as (path, label) for the public navigation."""
    rules = {r.rule for r in current_app.url_map.iter_rules()}
    return [(path, label) for path, label in OTHER_PAGES.items() if path in rules]


# (script root, endpoint, values) → URL, for templates. A page builds about thirty URLs, most
# the same on every page (stylesheets, scripts, the navigation), and werkzeug's builder costs
# ~8 µs each. A URL depends only on these while the app has no url_defaults, host matching or
# SERVER_NAME, so it is kept. Bounded: `next=<this page>` links make one entry per page.
_urls: dict[tuple, str] = {}
URLS_LIMIT = 4096


def template_url_for(endpoint: str, **values) -> str:
    """flask.url_for, remembered. Blueprint-relative endpoints (".x"), options (_external, …)
    and unhashable values go straight to Flask."""
    if endpoint[0] == "." or not has_request_context():
        return current_app.url_for(endpoint, **values)
    try:
        key = (request.script_root, endpoint, *values.items())
        url = _urls.get(key)
    except TypeError:
        return current_app.url_for(endpoint, **values)
    if url is None:
        url = current_app.url_for(endpoint, **values)
        if any(name[0] == "_" for name in values):
            return url
        if len(_urls) >= URLS_LIMIT:
            _urls.clear()
        _urls[key] = url
    return url


def check_urls_are_plain(app: Flask) -> None:
    """template_url_for's assumption, checked once every blueprint is registered."""
    if app.url_default_functions or app.config.get("SERVER_NAME") or app.url_map.host_matching:
        raise RuntimeError("template_url_for assumes URLs depend on the endpoint and values only")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["url_for"] = template_url_for
    app.jinja_env.filters["param_name"] = lambda p: PARAMETER_NAMES.get(p, p)
    # {{ waterbody.kind|kind_label }}: 河流, River, … from the kinds table
    app.jinja_env.filters["kind_label"] = lambda code: kind_labels().get(code, code)
    # stored stamps are UTC; every page shows them in Beijing time: {{ row.updated_at|beijing }}
    app.jinja_env.filters["beijing"] = clock.beijing
    for code in ERROR_PAGES:
        app.register_error_handler(code, render_error)

    @app.context_processor
    def helpers():
        return {
            "STATUS_LABELS": workflow.STATUS_LABELS,
            "KIND_LABELS": workflow.KIND_LABELS,
            "DECISION_LABELS": DECISION_LABELS,
            "WATERBODY_STATUS_LABELS": WATERBODY_STATUS_LABELS,
            "AUDIT_LABELS": AUDIT_LABELS,
            "url_rules": app.view_functions,
            "localized": localized,
            "kind_labels": kind_labels,
            "field_id": field_id,
            "audit_diff": audit_diff,
            "new_idempotency_key": new_key,
        }
