"""The rubric data for the device: what static/js/scoring.js scores the form with offline.

Public on purpose: the rubric is no secret (it is the published standard's scoring), and the
service worker precaches it when it installs, which may be before anyone signs in. A version
is never edited once published (a change is a new version, see README).
"""

from flask import Blueprint, Response, abort, request

from happy_rivers import scoring
from happy_rivers.scoring.client import document_json, document_revision

bp = Blueprint("rubrics", __name__)

ONE_DAY = 24 * 3600


@bp.get("/rubrics/<rubric_id>/<version>.json")
def rubric_json(rubric_id: str, version: str):
    # only names that exist on disk reach load_rubric (no path is built from the URL)
    if rubric_id not in scoring.available_rubrics() or version not in scoring.available_versions(
        rubric_id
    ):
        abort(404)
    rubric = scoring.load_rubric(rubric_id, version)
    response = Response(document_json(rubric), mimetype="application/json")
    response.cache_control.public = True
    # a day, not for ever: the version names the rubric, but the document's shape may change
    # with a deployment (the service worker's precache, keyed by document_revision, is what
    # keeps it offline); the ETag makes the check after a day a cheap 304
    response.cache_control.max_age = ONE_DAY
    response.set_etag(document_revision(rubric))
    return response.make_conditional(request)
