from wtforms import DateField, HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from happy_rivers import clock
from happy_rivers.forms import FlaskForm
from happy_rivers.translations import N_


class IsoDateField(DateField):
    """A date read by clock.parse_date, like every other date the app reads (WTForms' own
    DateField parses with strptime, which also takes 2025-1-7)."""

    def process_formdata(self, valuelist):
        raw = " ".join(valuelist).strip() if valuelist else ""
        self.data = None
        if raw:
            try:
                self.data = clock.parse_date(raw)
            except ValueError:
                raise ValueError("日期格式应为 YYYY-MM-DD") from None


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
    decided_on = IsoDateField(N_("结论日期"), validators=[Optional()])
