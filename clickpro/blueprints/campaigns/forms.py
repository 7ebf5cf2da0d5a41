"""Campaign forms: Flask-WTF for CSRF; the wizard's inputs are parsed into the service's
data dict (the same shape the REST API sends), so the rules live only in the service."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

_VAR = re.compile(r"^(var|default)-(header|body)-(\d+)$")
_BUTTON = re.compile(r"^(var|default)-button-(\d+)-(\d+)$")


class WizardForm(FlaskForm):
    """CSRF only; ``campaign_data_from_form`` reads the rest."""


class SheetForm(FlaskForm):
    """CSRF only; the file, name and template are read from the request."""


class ActionForm(FlaskForm):
    """CSRF only (start, pause, resume, cancel, retry…): the URL says what to do."""


def _parts(form: MultiDict, prefix: str) -> dict:
    """``<prefix>-header-0``, ``<prefix>-body-1``, ``<prefix>-button-0-0`` → lists by position."""
    header: dict[int, str] = {}
    body: dict[int, str] = {}
    buttons: dict[str, dict[int, str]] = {}
    for key, value in form.items():
        if (m := _VAR.match(key)) and m.group(1) == prefix:
            (header if m.group(2) == "header" else body)[int(m.group(3))] = value
        elif (m := _BUTTON.match(key)) and m.group(1) == prefix:
            buttons.setdefault(m.group(2), {})[int(m.group(3))] = value
    return {
        "header": _by_position(header),
        "body": _by_position(body),
        "buttons": {k: _by_position(v) for k, v in buttons.items()},
    }


def _by_position(values: dict[int, str]) -> list[str]:
    """{1: "x"} → ["", "x"]: a missing field keeps the others in their slot."""
    size = min(max(values) + 1, 100) if values else 0
    return [values.get(i, "") for i in range(size)]


def variables_from_form(form: MultiDict) -> dict:
    """The mapped values and each variable's own default (``default-body-0`` …)."""
    variables = _parts(form, "var")
    variables["defaults"] = _parts(form, "default")
    link = (form.get("header_media_link") or "").strip()
    if link:
        variables["header_media"] = {"link": link}
    return variables


def campaign_data_from_form(form: MultiDict) -> dict:
    data: dict = {
        "name": form.get("name", ""),
        # The number to send from ("": the campaign's, or the first number for a new one).
        "number_id": form.get("number_id", ""),
        "template_id": form.get("template_id", ""),
        "list_ids": form.getlist("list_ids"),
        "exclude_list_ids": form.getlist("exclude_list_ids"),
        "variables": variables_from_form(form),
        "missing_value_policy": form.get("missing_value_policy") or "skip",
        # Each variable has its own default now; the campaign-wide one is API-only.
        "fallback": "",
        "rate_mps": form.get("rate_mps", ""),
        "batch_size": form.get("batch_size", ""),
        "batch_interval_s": form.get("batch_interval_s", ""),
        "scheduled_at": form.get("scheduled_at", "") if form.get("start_mode") == "later" else "",
        "send_window": None,
    }
    if form.get("window_enabled"):
        data["send_window"] = {
            "days": form.getlist("window_days"),
            "start": form.get("window_start", ""),
            "end": form.get("window_end", ""),
        }
    return data
