"""Charts as inline SVG, drawn with pygal.

Government intranets often have no internet, and charts are printed for meetings, so every
chart here is one SVG string that needs nothing from outside: no JavaScript (pygal's default
tooltip script lives on kozea.github.io; ``js=[]`` drops it and a filter removes pygal's inline
config script), and the numbers that matter printed on the chart rather than shown on hover.
pygal builds the SVG with ElementTree, so every text it writes — titles, labels, waterbody
names — is escaped; that is what makes returning the result as ``Markup`` safe.

No inline CSS either: the Content-Security-Policy (views/headers.py) has ``style-src 'self'``,
which blocks a <style> element inside inline SVG. pygal writes one per chart; the filter splits
it. The rules every chart shares (fonts, axes, guides, text colours) live in
static/css/charts.css, generated from pygal by ``make charts-css`` (tests check it is current);
the few rules that differ between charts (series colours, line widths and dashes, fill
opacity) become SVG presentation attributes on the elements they styled, which CSP allows.
Inline SVG rather than <img src=…> keeps the text selectable, searchable and sharp in print.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import pygal
from flask_babel import gettext
from markupsafe import Markup
from pygal.etree import etree
from pygal.style import Style

from happy_rivers.scoring.progress import Target, required_pace_line
from happy_rivers.translations import N_

from .i18n import localized

FONT = '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
# The app's palette (static/css/app.css): dark enough to survive a grey-scale printer.
BLUE, GREEN, AMBER, RED, GREY = "#0b5fa5", "#1d7a46", "#a66300", "#b3261e", "#5b6675"
FONT_SIZE = 13
TARGET_COLOURS = (RED, AMBER, GREY)
TARGET_STATUS_LABELS = {
    "achieved": N_("已实现"),
    "missed": N_("已逾期未完成"),
    "on_track": N_("按期可完成"),
    "behind": N_("进度落后"),
}
# pygal sizes labels at 0.6 em per character; CJK characters take a full em.
CJK_EXTRA_EM = 0.45


def _style(**overrides) -> Style:
    return Style(
        **{
            "font_family": FONT,
            "background": "#ffffff",
            "plot_background": "#ffffff",
            "foreground": "#1c2430",
            "foreground_strong": "#1c2430",
            "foreground_subtle": "#c3ccd6",
            "opacity": ".3",
            "opacity_hover": ".45",
            "colors": (BLUE, RED, AMBER, GREEN, GREY),
            "title_font_size": 17,
            "label_font_size": FONT_SIZE,
            "major_label_font_size": FONT_SIZE,
            "legend_font_size": FONT_SIZE,
            "value_font_size": FONT_SIZE,
            "value_label_font_size": FONT_SIZE,
            "tooltip_font_size": FONT_SIZE,
        }
        | overrides
    )


COMMON: dict[str, Any] = {
    "js": [],  # never the default kozea.github.io script
    "disable_xml_declaration": True,  # inline in HTML, not a standalone .svg file
    "truncate_legend": -1,
    "truncate_label": -1,
    "margin": 12,
}


def _render(chart, label: str, *, bare_series: Iterable[int] = ()) -> Markup:
    """The chart as one self-contained SVG string. ``bare_series``: the numbers of the series
    whose dots are drawn only where a label is printed (a step line's corners say nothing the
    line does not, and were half the progress page's chart bytes)."""
    bare = {f"serie-{n}" for n in bare_series}

    def self_contained(root):
        """Drop <script> (pygal's inline config), comments (links to pygal.org) and the <desc>
        tooltip data only pygal's script reads (a third of the progress page's bytes); turn the
        <style> into presentation attributes plus static/css/charts.css; drop the tooltip, which
        only pygal's script shows (its style="opacity: 0" is inline CSS too)."""
        if bare:
            _drop_unlabelled_dots(root, bare)
        for parent in list(root.iter()):
            for child in list(parent):
                tag = str(child.tag).rsplit("}", 1)[-1] if child.tag is not etree.Comment else ""
                if child.tag is etree.Comment or tag in ("script", "desc", "style"):
                    if tag == "style":
                        _apply_chart_rules(root, child.text or "")
                    parent.remove(child)
                elif "tooltip" in _classes(child):
                    parent.remove(child)
        _drop_leftovers(root)
        _round_coordinates(root)
        root.set("role", "img")
        root.set("aria-label", label)  # ElementTree escapes attribute values too
        return root

    chart.add_xml_filter(self_contained)
    # Safe: pygal generated every byte and escaped every text it was given (tests check it).
    return Markup(chart.render(is_unicode=True))


def _drop_unlabelled_dots(root, series: set[str]) -> None:
    """Remove the dots of these series (by class serie-N) that carry no printed label; pygal
    marks a labelled dot with a <desc class="label"> (removed later with the other <desc>)."""
    for node in list(root.iter()):
        if "series" not in _classes(node) or not series.intersection(_classes(node)):
            continue
        for dots in list(node):
            if "dots" in _classes(dots) and not any(
                "label" in _classes(child) for child in dots if _tag(child) == "desc"
            ):
                node.remove(dots)


def _tag(element) -> str:
    return str(element.tag).rsplit("}", 1)[-1]


def _drop_leftovers(root) -> None:
    """What pygal writes for its script or for nothing: the tooltip-trigger class (no rule
    and no script uses it), empty classes, zero corner radii, and the hover <title> of each
    y-axis label, which repeats the label on a line chart and on the bar chart is the
    label's position (巫溪县 hovered read "0")."""
    for element in root.iter():
        classes = _classes(element)
        if "tooltip-trigger" in classes:
            classes.remove("tooltip-trigger")
            element.set("class", " ".join(classes))
        if element.get("class") == "":
            del element.attrib["class"]
        for radius in ("rx", "ry"):
            if element.get(radius) == "0":
                del element.attrib[radius]
        if {"axis", "y"} <= set(classes):
            for guides in element:
                for title in [t for t in guides if _tag(t) == "title"]:
                    guides.remove(title)


# pygal writes coordinates as Python prints floats (cx="62.33309205109055"); two decimals are a
# hundredth of a pixel at the chart's size, so the rest is bytes only.
_GEOMETRY = ("d", "x", "y", "cx", "cy", "x1", "y1", "x2", "y2", "width", "height", "transform")
_NUMBER = re.compile(r"-?\d*\.\d+(?:[eE][-+]?\d+)?|-?\d+[eE][-+]?\d+")


def _compact(match: re.Match) -> str:
    text = f"{float(match.group(0)):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _round_coordinates(root) -> None:
    for element in root.iter():
        for name in _GEOMETRY:
            value = element.get(name)
            if value:
                element.set(name, _NUMBER.sub(_compact, value))


STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "charts.css"
# pygal's per-chart rules, with the chart's id written as .pygal-chart; the number is a series'.
_SERIES_COLOUR = re.compile(r"\.pygal-chart \.color-(\d+),\.pygal-chart \.color-\1 a:visited")
_VALUE_COLOUR = re.compile(r"\.pygal-chart \.text-overlay \.color-(\d+) text")
_SERIES_LINE = re.compile(r"\.pygal-chart \.series\.serie-(\d+)")
_REACTIVE = ".pygal-chart .reactive"
# hovered elements: only pygal's script marks them active, and it is never loaded
_HOVER = ".pygal-chart .reactive.active,.pygal-chart .active .reactive"
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def _classes(element) -> list[str]:
    return (element.get("class") or "").split()


def _split_css(css: str, chart_id: str) -> tuple[list[str], list[tuple[str, str, dict]]]:
    """pygal's stylesheet for one chart → (rules every chart shares, as in charts.css;
    per-chart rules as (kind, series number, {property: value}))."""
    shared, own = [], []
    for selector, body in _RULE.findall(css.replace("\n", "")):
        selector = selector.strip().replace(f"#{chart_id}", ".pygal-chart")
        declarations = dict(
            (name.strip(), value.strip())
            for name, _, value in (d.partition(":") for d in body.split(";"))
            if name.strip()
        )
        if _VALUE_COLOUR.fullmatch(selector):
            # pygal prints values black on a dark series colour (white on a light one); the
            # palette is all dark, so this is one shared rule. Kept in CSS since an attribute
            # would lose to ".series text" where this rule wins.
            selector = ".pygal-chart .text-overlay .series text"
        for kind, pattern in (("colour", _SERIES_COLOUR), ("line", _SERIES_LINE)):
            if match := pattern.fullmatch(selector):
                own.append((kind, match.group(1), declarations))
                break
        else:
            if selector == _REACTIVE:
                own.append(("reactive", "", declarations))
            elif selector != _HOVER:
                rule = f"{selector}{{{body.strip()}}}"
                if rule not in shared:
                    shared.append(rule)
    return shared, own


def _apply_chart_rules(root, css: str) -> None:
    """Give each element the chart's own rules as presentation attributes: the same cascade
    (an attribute on the element a rule matched), without inline CSS."""
    shared, own = _split_css(css, root.get("id", ""))
    missing = [rule for rule in shared if rule not in _stylesheet_rules()]
    if missing:  # pygal or _style() changed: charts.css must follow, or charts lose styling
        raise RuntimeError(f"static/css/charts.css is out of date (make charts-css): {missing}")
    for kind, serie, declarations in own:
        for element in root.iter():
            classes = _classes(element)
            if (
                (kind == "colour" and f"color-{serie}" in classes)
                or (kind == "line" and "series" in classes and f"serie-{serie}" in classes)
                or (kind == "reactive" and "reactive" in classes)
            ):
                for name, value in declarations.items():
                    element.set(name, value)
    # A series' line width (add(…, stroke_style={"width": 3})) sits on its <g>, and the
    # .reactive rule's width 1 on the line itself wins over it, in pygal's own CSS as here: put
    # the series' width on its line, or every line is a hairline (the step line looked bold
    # only through its dots at every corner, which are gone).
    for series in root.iter():
        if "series" in _classes(series) and series.get("stroke-width"):
            for line in series.iter():
                if "line" in _classes(line):
                    line.set("stroke-width", series.get("stroke-width"))


def stylesheet() -> str:
    """The rules every chart shares, as static/css/charts.css holds them (`make charts-css`)."""
    reference = pygal.Bar(**COMMON, style=_style())
    reference.add("", [1])
    root = reference.render_tree()
    style = next(e for e in root.iter() if str(e.tag).endswith("style"))
    shared, _ = _split_css(style.text or "", root.get("id"))
    header = (
        "/* Generated by `make charts-css` from pygal's stylesheet and _style() in\n"
        "   views/charts.py: the rules every chart shares. Do not edit. The per-chart colours and\n"
        "   line styles are presentation attributes on the SVG elements (views/charts.py). */\n"
    )
    return header + "\n".join(shared) + "\n"


@lru_cache(maxsize=1)
def _stylesheet_rules() -> frozenset[str]:
    return frozenset(STYLESHEET.read_text(encoding="utf-8").splitlines())


def _steps(series: Sequence[tuple[datetime.date, int]]) -> list[tuple[datetime.date, int]]:
    """(d0, c0), (d1, c1) … → the corners of a step line: the count holds until the next date."""
    points: list[tuple[datetime.date, int]] = []
    for day, count in series:
        if points and points[-1][1] != count:
            points.append((day, points[-1][1]))
        points.append((day, count))
    return points


def _point(day: datetime.date, value: float, label: str | None = None) -> dict:
    point: dict[str, Any] = {"value": (day, value)}
    if label:
        point["label"] = label
    return point


def progress_chart(
    series: Sequence[tuple[datetime.date, int]],
    report: dict,
    targets: Sequence[Target],
    as_of: datetime.date,
    title: str,
) -> Markup:
    """Cumulative accepted waterbodies (a step line) against ``targets``, with the pace lines.

    ``series`` is scoring.progress.cumulative_series() up to ``as_of``; ``report`` is
    scoring.progress.progress() for ``as_of``. For each target not yet reached and not yet due
    the chart draws the required pace (straight from today's count to the goal at the deadline,
    scoring.progress.required_pace_line) and the current pace carried on to the deadline (the
    projection). Values that matter are printed; the rest are in the table beside the chart.
    """
    accepted = report["accepted"]
    rows = {row["year"]: row for row in report["targets"]}
    pace = report["targets"][0]["pace_per_year"] if report["targets"] else 0
    start = series[0][0] if series else as_of
    end = max([as_of, *(t.deadline for t in targets)])
    top = max([accepted, *(t.goal for t in targets)]) * 1.08 or 1

    def printed(target: Target, text: str) -> str | None:
        # a goal far below the top of the axis sits among the other labels: leave it to the
        # table (and to the close-up chart of that target)
        return text if target.goal >= top * 0.15 else None

    # (title, values, options, colour): the colours follow the meaning, not the order
    lines: list[tuple[str, list, dict, str]] = []
    steps = _steps(series) or [(as_of, accepted)]
    actual = [_point(d, c) for d, c in steps]
    actual[-1]["label"] = gettext("已验收 %(n)s", n=accepted)
    lines.append((gettext("已验收（累计）"), actual, {"stroke_style": {"width": 3}}, BLUE))
    ahead = []
    for i, target in enumerate(targets):
        colour = TARGET_COLOURS[i % len(TARGET_COLOURS)]
        row = rows[target.year]
        goal = gettext("%(year)s 年目标 %(goal)s", year=target.year, goal=target.goal)
        if row["days_left"] > 0 and row["status"] != "achieved":
            ahead.append(target)
            (d0, c0), (d1, c1) = required_pace_line(target, as_of, accepted)
            lines.append(
                (
                    gettext(
                        "%(year)s 年目标所需速度：每年 %(pace)s 条",
                        year=target.year,
                        pace=f"{row['required_per_year']:.2f}",
                    ),
                    [_point(d0, c0), _point(d1, c1, printed(target, goal))],
                    {"stroke_style": {"width": 2, "dasharray": "8, 5"}, "dots_size": 5},
                    colour,
                )
            )
        else:  # reached, or due: just the goal, with what became of it
            status = gettext(TARGET_STATUS_LABELS[row["status"]])
            lines.append(
                (
                    gettext("%(goal)s（%(status)s）", goal=goal, status=status),
                    [_point(target.deadline, target.goal, printed(target, goal))],
                    {"stroke": False, "dots_size": 5},
                    colour,
                )
            )
    if ahead and accepted < max(t.goal for t in ahead):
        projection = [_point(as_of, accepted)]
        for target in ahead:
            projected = rows[target.year]["projected"]
            projection.append(
                _point(
                    target.deadline,
                    projected,
                    printed(target, gettext("预计 %(n)s", n=f"{projected:.0f}")),
                )
            )
        lines.append(
            (
                gettext("按近一年速度（每年 %(pace)s 条）预计", pace=pace),
                projection,
                {"stroke_style": {"width": 2, "dasharray": "2, 4"}},
                GREEN,
            )
        )

    x_labels = [datetime.date(y, 1, 1) for y in range(start.year, end.year + 2)]
    chart = pygal.DateLine(
        **COMMON,
        style=_style(colors=tuple(colour for *_, colour in lines)),
        title=title,
        height=500,
        margin_right=150,  # room for the labels printed at the last deadline
        legend_at_bottom=True,
        legend_at_bottom_columns=1,
        dots_size=2.5,
        print_labels=True,  # only points given a "label" are printed, not every corner
        # the x labels are 1 January of each year (at most about 12 of them): just the year
        x_value_formatter=lambda d: f"{d.year}" if (d.month, d.day) == (1, 1) else d.isoformat(),
        x_labels=x_labels[:: -(-len(x_labels) // 12)],
        x_label_rotation=0,
        range=(0, top),
        include_x_axis=True,
        value_formatter=lambda v: f"{v:.0f}",
    )
    for line_title, values, options, _colour in lines:
        chart.add(line_title, values, **options)
    # the actual line (series 0) keeps only its labelled dot; the goals' dots mark the goals
    return _render(chart, title, bare_series=[0])


def district_bar_chart(
    counts: Iterable[tuple[str, int]], title: str = "各区县市级幸福河湖数量"
) -> Markup:
    """Horizontal bars of (district name, count), largest first; zero counts are left out."""
    rows = sorted(((name, n) for name, n in counts if n > 0), key=lambda r: -r[1])
    longest = max((len(name) for name, _ in rows), default=4)
    chart = pygal.HorizontalBar(
        **COMMON,
        style=_style(opacity=".85", opacity_hover=".95"),
        title=title,
        show_legend=False,
        width=560,  # drawn beside a table: a narrow canvas keeps the labels legible
        height=110 + 26 * max(len(rows), 1),
        margin_left=COMMON["margin"] + int(CJK_EXTRA_EM * FONT_SIZE * longest),
        print_values=True,
        print_values_position="top",
        value_formatter=lambda v: f"{v:.0f}",
        x_labels=[name for name, _ in reversed(rows)],  # pygal draws the first label lowest
        range=(0, max([n for _, n in rows], default=1) + 1),
        no_data_text=gettext("暂无市级幸福河湖"),
    )
    chart.add(gettext("市级幸福河湖"), [n for _, n in reversed(rows)])
    return _render(chart, title)


def dimension_percents(dimensions: Iterable[dict]) -> list[tuple[str, float]]:
    """(name, score as % of the dimension's maximum, 1 decimal) for each result dimension."""
    out = []
    for d in dimensions:
        top = Decimal(d["max"])
        percent = Decimal(d["score"]) * 100 / top if top else Decimal(0)
        out.append((d["name"], float(percent.quantize(Decimal("0.1")))))
    return out


def radar_chart(dimensions: Iterable[dict], title: str) -> Markup:
    """The seven dimensions as a radar: each score as a percentage of that dimension's maximum.

    ``dimensions`` are a scoring result's dimension dicts (name, score and max as strings).
    """
    return _radar(tuple(dimension_percents(dimensions)), title)


@lru_cache(maxsize=256)  # pygal needs ~35 ms; a result page is opened again and again
def _radar(percents: tuple[tuple[str, float], ...], title: str) -> Markup:
    chart = pygal.Radar(
        **COMMON,
        style=_style(),
        title=title,
        width=560,
        height=520,
        show_legend=False,
        fill=True,
        range=(0, 100),
        print_values=True,
        value_formatter=lambda v: f"{v:g}%",
        x_labels=[name for name, _ in percents],
        y_labels=[20, 40, 60, 80, 100],
    )
    chart.add(gettext("得分率"), [p for _, p in percents], dots_size=4)
    return _render(chart, title)


def result_radar(assessment: dict, rubric) -> Markup | None:
    """The radar for an assessment's result page, dimensions named in the page's language;
    None while the answers are incomplete."""
    result = assessment.get("result")
    if not result or not result.get("dimensions"):
        return None
    dimensions = [
        dict(d, name=localized(d["name"], rubric.dimension(code).name_en))
        for code, d in result["dimensions"].items()
    ]
    name = assessment.get("waterbody_name") or ""
    return radar_chart(dimensions, gettext("%(name)s · 七个维度得分率", name=name))
