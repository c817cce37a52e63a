"""Sign-in (Flask-Login), roles, district scoping helpers and API tokens."""

from functools import wraps
from urllib.parse import unquote, urlsplit

import click
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.cli import with_appcontext
from flask_babel import gettext
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from happy_rivers import store
from happy_rivers.forms.auth import ChangePasswordForm, LoginForm
from happy_rivers.store import throttle, users
from happy_rivers.translations import N_

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()

ROLE_LABELS = {
    "inspector": N_("区县检查员"),
    "reviewer": N_("市级审核员"),
    "admin": N_("管理员"),
    "expert": N_("验收专家"),
}


class User(UserMixin):
    def __init__(self, row: dict):
        self.row = row
        self.id = row["id"]
        self.username = row["username"]
        self.display_name = row["display_name"] or row["username"]
        self.role = row["role"]
        self.district_code = row["district_code"]

    @property
    def is_active(self) -> bool:
        return bool(self.row["active"])

    @property
    def scope(self) -> str | None:
        """The district this user is limited to; None for city-level roles."""
        return self.district_code if self.role == "inspector" else None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed cookie names the user and a server-side session; the session must still
    exist (signing out, deactivation and password changes delete it)."""
    session_id = session.get("sid")
    if not session_id:
        return None
    row = users.user_for_session(store.get_db(), int(user_id), session_id)
    return User(row) if row else None


def client_ip() -> str | None:
    """The address a request comes from: the one place that decides it (audit, throttling).

    Behind a reverse proxy, REMOTE_ADDR is the proxy's own address; `trust_proxy` (configured
    with PROXY_FIX_X_FOR) makes it the client's. Without that setting X-Forwarded-For is
    ignored, so nobody can pick the address they are counted under.
    """
    return request.remote_addr


def actor() -> dict | None:
    """The signed-in user as the plain dict that store/ records in the audit log."""
    return current_user.row if current_user.is_authenticated else None


def roles_required(*roles: str):
    """Signed-in users of other roles get 403; anonymous users are sent to sign in."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def safe_next(target: str | None) -> str | None:
    """A ?next= target only when it is a path on this site, else None (no open redirect).

    Every redirect to a `next` goes through here (sign-in, the language switch). To a browser,
    a path starting with two slashes names another host, a backslash counts as a slash, and
    tabs and newlines are dropped first; any of them is refused, in the path also when
    percent-encoded (a proxy or a later redirect may decode %2f%2f into //).
    """
    if not target or not target.startswith("/"):
        return None
    path = urlsplit(target).path
    for text in (target, unquote(path)):
        if text.startswith("//") or "\\" in text:
            return None
        if any(ord(c) < 32 or ord(c) == 127 for c in text):
            return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def wait_text(seconds: int) -> str:
    if seconds < 60:
        return gettext("%(n)s 秒", n=seconds)
    return gettext("%(n)s 分钟", n=-(-seconds // 60))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        db = store.get_db()
        username = form.username.data.strip()
        ip = client_ip()
        # counted and decided before the (slow) hash, in one transaction: see store/throttle.py
        first_delay = current_app.config["LOGIN_THROTTLE_FIRST_DELAY"]
        wait = throttle.reserve(db, username, ip, first_delay=first_delay)
        if wait:
            form.username.errors.append(
                gettext("登录尝试过于频繁，请 %(wait)s后再试", wait=wait_text(wait))
            )
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}
        row = users.by_username(db, username)
        if users.check_password(row, form.password.data) and row["active"]:
            throttle.succeeded(db, username, ip)
            session["sid"] = users.start_session(db, row, ip, replaces=session.get("sid"))
            login_user(User(row))
            return redirect(safe_next(request.args.get("next")) or url_for("inspect.index"))
        throttle.failed(db, username, ip, first_delay=first_delay)
        form.password.errors.append("用户名或密码不正确，或账号已停用")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    users.end_session(store.get_db(), session.pop("sid", None), actor(), ip=client_ip())
    logout_user()
    flash("已退出登录")
    return redirect(url_for("auth.login"))


# Pages a user who must change their password can still reach.
OPEN_WHILE_PASSWORD_MUST_CHANGE = {"auth.change_password", "auth.logout", "static", "set_language"}


@bp.before_app_request
def require_password_change():
    """After an administrator's reset, every page leads to the change-password page."""
    if request.blueprint == "api" or request.endpoint in OPEN_WHILE_PASSWORD_MUST_CHANGE:
        return None
    if current_user.is_authenticated and current_user.row.get("must_change_password"):
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        db = store.get_db()
        row = users.get(db, current_user.id)
        ip = client_ip()
        # the current password is checked like a sign-in, so a borrowed session cannot be used
        # to guess it at full speed
        first_delay = current_app.config["LOGIN_THROTTLE_FIRST_DELAY"]
        wait = throttle.reserve(db, row["username"], ip, first_delay=first_delay)
        if wait:
            form.current_password.errors.append(
                gettext("登录尝试过于频繁，请 %(wait)s后再试", wait=wait_text(wait))
            )
            return render_template("auth/password.html", form=form), 429, {"Retry-After": str(wait)}
        if not users.check_password(row, form.current_password.data):
            throttle.failed(db, row["username"], ip, first_delay=first_delay)
            form.current_password.errors.append(gettext("当前密码不正确"))
        else:
            throttle.succeeded(db, row["username"], ip)
            try:
                users.change_password(
                    db, row, form.new_password.data, keep_session=session.get("sid"), ip=ip
                )
            except users.UserError as e:
                form.new_password.errors.append(gettext(e.errors["new_password"]))
            else:
                flash(gettext("密码已修改；您在其他设备上的登录已退出。"), "success")
                return redirect(url_for("inspect.index"))
        status = 422
    elif request.method == "POST":
        if form.csrf_token.errors:
            abort(400)
        status = 422
    return render_template("auth/password.html", form=form), status


@bp.get("/account/tokens")
@login_required
def tokens():
    rows = users.list_tokens(store.get_db(), current_user.id)
    return render_template("auth/tokens.html", rows=rows)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def token_revoke(token_id: int):
    if not users.revoke_token(store.get_db(), actor(), token_id, ip=client_ip()):
        abort(404)  # not theirs, already revoked, or no such token: nothing to tell apart
    flash(gettext("API 令牌已撤销"), "success")
    return redirect(url_for("auth.tokens"))


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", type=click.Choice(users.ROLES), required=True)
@click.option("--district", help="区县名称或代码（检查员必填）")
@click.option("--display-name")
@click.password_option(prompt="密码")
def create_user_command(username, role, district, display_name, password):
    """Create a user; the password is prompted for when not given."""
    try:
        user_id = users.create(store.get_db(), username, password, role, district, display_name)
    except users.UserError as e:
        for field, message in e.errors.items():
            click.echo(f"{field}: {message}", err=True)
        raise SystemExit(2) from None
    click.echo(f"已创建用户 {username}（{ROLE_LABELS[role]}，id {user_id}）")


@click.command("create-token")
@with_appcontext
@click.argument("username")
@click.option("--name", default="api", help="令牌用途说明")
def create_token_command(username, name):
    """Print a new API token for a user (stored hashed; shown only once)."""
    db = store.get_db()
    row = users.by_username(db, username)
    if row is None:
        click.echo(f"没有用户 {username}", err=True)
        raise SystemExit(2)
    click.echo(users.create_token(db, row["id"], name))


class IdConverter(IntegerConverter):
    """<int:…> in every route: ids fit SQLite's 64-bit INTEGER, and a larger number is simply no
    such page (404) instead of an OverflowError (500) in the query."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def trust_proxy(app) -> None:
    """Behind the reverse proxy, take the client's address from the last PROXY_FIX_X_FOR
    entries of X-Forwarded-For (and the scheme from X-Forwarded-Proto with PROXY_FIX_X_PROTO).
    Off by default: without a proxy in front, the header is whatever the client wants."""
    x_for = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    x_proto = int(app.config.get("PROXY_FIX_X_PROTO") or 0)
    if x_for or x_proto:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=x_for, x_proto=x_proto)


def init_app(app) -> None:
    trust_proxy(app)
    # seconds the first delay lasts once the free sign-in failures are used up (then doubling)
    app.config.setdefault("LOGIN_THROTTLE_FIRST_DELAY", 1)
    # before any blueprint is registered, so that every <int:…> rule uses it
    app.url_map.converters["int"] = IdConverter
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    csrf.init_app(app)
    app.cli.add_command(create_user_command)
    app.cli.add_command(create_token_command)
    # Behind HTTPS (HAPPY_RIVERS_HTTPS=1 or HTTPS = True in instance/config.py) cookies
    # must never travel in clear text.
    if app.config.get("HTTPS"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
