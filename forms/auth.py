from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

ROLE_CHOICES = [
    SelectChoice("inspector", "区县检查员"),
    SelectChoice("reviewer", "市级审核员"),
    SelectChoice("admin", "管理员"),
    SelectChoice("expert", "验收专家"),
]


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名")])
    password = PasswordField("密码", validators=[DataRequired("请填写密码")])


class UserForm(FlaskForm):
    """The administrator's create-user form.

    Role and district are checked by store.users.create (the same rules as the CLI), so the
    choices are not validated here: WTForms' own "Not a valid choice" would be English.
    """

    username = StringField(
        "用户名",
        validators=[
            DataRequired("请填写用户名"),
            Length(max=40, message="用户名不能超过 40 个字符"),
        ],
    )
    display_name = StringField(
        "姓名", validators=[Optional(), Length(max=40, message="姓名不能超过 40 个字符")]
    )
    role = SelectField("角色", choices=ROLE_CHOICES, validate_choice=False)
    district = SelectField("所属区县（检查员必选）", choices=[], validate_choice=False)
    password = PasswordField(
        "初始密码",
        validators=[
            DataRequired("请填写密码"),
            Length(min=8, max=200, message="密码须为 8 到 200 位"),
        ],
    )
