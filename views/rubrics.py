"""The rubric data for the device: what static/js/scoring.js scores the form with offline.

Public on purpose: the rubric is no secret (it is the published standard's scoring), and the
service worker precaches it when it installs, which may be before anyone signs in. A version
is never edited once published (a change is a new version, see README), so the URL names the
content and the answer may be cached for a year.
"""

import json

from flask import Blueprint, Response, abort, request

import scoring
from scoring.client import rubric_document

bp = Blueprint("rubrics", __name__)

ONE_YEAR = 365 * 24 * 3600


@bp.get("/rubrics/<rubric_id>/<version>.json")
def rubric_json(rubric_id: str, version: str):
    # only names that exist on disk reach load_rubric (no path is built from the URL)
    if rubric_id not in scoring.available_rubrics() or version not in scoring.available_versions(
        rubric_id
    ):
        abort(404)
    body = json.dumps(
        rubric_document(scoring.load_rubric(rubric_id, version)),
        ensure_ascii=False,
        separators=(",", ":"),
    )
    response = Response(body, mimetype="application/json")
    response.cache_control.public = True
    response.cache_control.max_age = ONE_YEAR
    response.cache_control.immutable = True
    # a strong validator as well: a rubric file fixed in place still reaches a device that asks
    response.add_etag()
    return response.make_conditional(request)
