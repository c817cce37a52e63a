from flask_babel import lazy_gettext as _
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from happy_rivers.forms import FlaskForm
from happy_rivers.translations import N_

ROLE_CHOICES = [
    SelectChoice("inspector", _("区县检查员")),
    SelectChoice("reviewer", _("市级审核员")),
    SelectChoice("admin", _("管理员")),
    SelectChoice("expert", _("验收专家")),
]


class LoginForm(FlaskForm):
    # labels are translated by the template (`_(field.label.text)`), messages here (lazily)
    username = StringField(N_("用户名"), validators=[DataRequired(_("请填写用户名"))])
    password = PasswordField(N_("密码"), validators=[DataRequired(_("请填写密码"))])


class UserForm(FlaskForm):
    """The administrator's create-user form.

    Role and district are checked by store.users.create (the same rules as the CLI), so the
    choices are not validated here: WTForms' own "Not a valid choice" would be English.
    """

    username = StringField(
        _("用户名"),
        validators=[
            DataRequired(_("请填写用户名")),
            Length(max=40, message=_("用户名不能超过 40 个字符")),
        ],
    )
    display_name = StringField(
        _("姓名"), validators=[Optional(), Length(max=40, message=_("姓名不能超过 40 个字符"))]
    )
    role = SelectField(_("角色"), choices=ROLE_CHOICES, validate_choice=False)
    district = SelectField(_("所属区县（检查员必选）"), choices=[], validate_choice=False)
    password = PasswordField(
        _("初始密码"),
        validators=[
            DataRequired(_("请填写密码")),
            # length and strength: store.users.password_problem, the same rule everywhere
        ],
    )


class ChangePasswordForm(FlaskForm):
    """A user's own new password (the policy itself is store.users.password_problem)."""

    current_password = PasswordField(_("当前密码"), validators=[DataRequired(_("请填写当前密码"))])
    new_password = PasswordField(_("新密码"), validators=[DataRequired(_("请填写新密码"))])
    confirm = PasswordField(
        _("再次输入新密码"),
        validators=[
            DataRequired(_("请再次输入新密码")),
            EqualTo("new_password", message=_("两次输入的新密码不一致")),
        ],
    )


class ResetPasswordForm(FlaskForm):
    """An administrator's temporary password for a user, who must change it at sign-in."""

    password = PasswordField(_("临时密码"), validators=[DataRequired(_("请填写临时密码"))])


class UserEditForm(FlaskForm):
    """An administrator changes a user's role and district (checked by store.users.update)."""

    role = SelectField(_("角色"), choices=ROLE_CHOICES, validate_choice=False)
    district = SelectField(_("所属区县（检查员必选）"), choices=[], validate_choice=False)
