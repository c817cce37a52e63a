from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional


class ReviewForm(FlaskForm):
    version = HiddenField()
    action = RadioField(
        "审核结论",
        choices=[
            SelectChoice("accept", "通过验收"),
            SelectChoice("conditional", "限期整改后复核"),
            SelectChoice("reject", "不予通过"),
            SelectChoice("return", "退回修改"),
        ],
        validate_choice=False,
    )
    comment = TextAreaField("审核意见", render_kw={"rows": 3})
    override_reason = TextAreaField("与计算结论不同的理由", render_kw={"rows": 2})
    decided_on = DateField("结论日期", validators=[Optional()], format="%Y-%m-%d")
