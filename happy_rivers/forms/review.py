from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from happy_rivers.translations import N_


class ReviewForm(FlaskForm):
    version = HiddenField()
    action = RadioField(
        N_("审核结论"),
        choices=[
            SelectChoice("accept", N_("通过验收")),
            SelectChoice("conditional", N_("限期整改后复核")),
            SelectChoice("reject", N_("不予通过")),
            SelectChoice("return", N_("退回修改")),
        ],
        validate_choice=False,
    )
    comment = TextAreaField(N_("审核意见"), render_kw={"rows": 3})
    override_reason = TextAreaField(N_("与计算结论不同的理由"), render_kw={"rows": 2})
    decided_on = DateField(N_("结论日期"), validators=[Optional()], format="%Y-%m-%d")
