"""The flows pages' blueprint, on its own so the page routes (:mod:`.routes`) and the
simulator's endpoints (:mod:`.simulator`) both register on it without importing each
other's module at load time; :mod:`clickpro.plugins.flows` imports both and registers it.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("flows", __name__, template_folder="templates", url_prefix="/flows")
