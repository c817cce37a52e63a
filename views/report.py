"""report pages (being built)."""

from flask import Blueprint

bp = Blueprint("report", __name__)
