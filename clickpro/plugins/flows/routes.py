"""The flows pages (``/flows``): list, editor, simulator, versions, reports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("flows", __name__, template_folder="templates", url_prefix="/flows")
