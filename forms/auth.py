from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名")])
    password = PasswordField("密码", validators=[DataRequired("请填写密码")])


class UserForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名"), Length(max=40)])
    display_name = StringField("姓名", validators=[Optional(), Length(max=40)])
    role = SelectField(
        "角色",
        choices=[
            SelectChoice("inspector", "区县检查员"),
            SelectChoice("reviewer", "市级审核员"),
            SelectChoice("admin", "管理员"),
        ],
    )
    district = SelectField("所属区县（检查员必选）", choices=[], validate_choice=False)
    password = PasswordField(
        "初始密码", validators=[DataRequired("请填写密码"), Length(min=8, message="密码至少 8 位")]
    )
