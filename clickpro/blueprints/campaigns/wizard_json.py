"""JSON endpoints the wizard calls: template slots, live audience count, sample preview."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from clickpro.blueprints.errors import json_error
from clickpro.errors import NotFoundError
from clickpro.extensions import db
from clickpro.guards import admin_required
from clickpro.models import Campaign, Contact, ContactList, Template
from clickpro.params import BadParameter, parse_id
from clickpro.services.campaigns import service as svc
from clickpro.services.campaigns.audience import count_audience, sample_contact
from clickpro.services.campaigns.numbers import active_number
from clickpro.services.campaigns.vars import normalize, preview
from clickpro.services.contacts.display import contact_label
from clickpro.services.templates.rules import render_text, variable_slots
from clickpro.tenancy import get_owned_or_404, require_client


def _ids(values, name: str = "list_ids") -> list[int]:
    """Range-checked ids of a JSON list (a float, a 20-digit id or a non-list is a 400)."""
    if values in (None, ""):
        return []
    if not isinstance(values, list):
        raise BadParameter(name, _("%(name)s precisa ser uma lista de ids.", name=name))
    ids = (parse_id(v, name) for v in values[:1000])
    return sorted({i for i in ids if i is not None})


def _attribute_keys(client_id: int) -> list[str]:
    """Attribute names seen on the client's most recent contacts (for the mapping menu)."""
    rows = db.session.scalars(
        sa.select(Contact.attributes).where(Contact.client_id == client_id).order_by(Contact.id.desc()).limit(200)
    )  # fmt: skip
    return sorted({k for attrs in rows for k in (attrs or {})})


def template_info(template_id: int):
    client = require_client()
    template = get_owned_or_404(Template, template_id, client.id)
    return jsonify(
        slots=variable_slots(template.components),
        preview=render_text(template.components, {}),
        attributes=_attribute_keys(client.id),
    )


def _campaign_id(client_id: int, raw) -> int | None:
    """The campaign being edited (its sheet rows' values count), if it is the client's."""
    wanted = parse_id(raw, "campaign_id") if raw not in (None, "") else None
    if wanted is None:
        return None
    return db.session.scalar(
        sa.select(Campaign.id).where(Campaign.id == wanted, Campaign.client_id == client_id)
    )


def _audience_args(client_id: int, data: dict) -> tuple[list[int], list[int], str, int | None]:
    include = _ids(data.get("list_ids"))
    exclude = _ids(data.get("exclude_list_ids"), "exclude_list_ids")
    owned = set(
        db.session.scalars(sa.select(ContactList.id).where(ContactList.client_id == client_id))
    )
    include = [i for i in include if i in owned]
    exclude = [i for i in exclude if i in owned]
    policy = "fallback" if data.get("policy") == "fallback" else "skip"
    return include, exclude, policy, _campaign_id(client_id, data.get("campaign_id"))


def _variables(data: dict) -> dict:
    found = data.get("variables")
    variables = dict(found) if isinstance(found, dict) else {}
    if data.get("policy") == "fallback":
        variables["fallback"] = str(data.get("fallback") or "").strip()[:200]
    return variables


def audience():
    """Live count: ``{list_ids, exclude_list_ids, variables, policy, fallback, campaign_id,
    number_id}`` → the same numbers the review shows (``count_audience``) + the tier
    warning of the chosen number (another client's id: the first number's, like none)."""
    client = require_client()
    data = request.get_json(silent=True) or {}
    include, exclude, policy, campaign_id = _audience_args(client.id, data)
    count = count_audience(
        client.id, include, exclude, _variables(data), policy, campaign_id=campaign_id
    )
    wanted = parse_id(data.get("number_id"), "number_id") if data.get("number_id") else None
    number = active_number(client.id, id=wanted) if wanted else None
    return jsonify(**count.as_dict(), missing_values=count.missing,
                   tier_warning=svc.tier_warning(client.id, count.eligible, number))  # fmt: skip


def sample_preview():
    """The template filled for one sample recipient of the chosen lists (never an
    opted-out or excluded contact)."""
    client = require_client()
    data = request.get_json(silent=True) or {}
    template = db.session.scalar(sa.select(Template).where(
        Template.client_id == client.id, Template.id == (parse_id(data.get("template_id"), "template_id") or 0)))  # fmt: skip
    if template is None:
        return json_error(NotFoundError(_("Modelo não encontrado."), field="template_id"))
    include, exclude, policy, campaign_id = _audience_args(client.id, data)
    variables = normalize(template.components, _variables(data))
    found = sample_contact(client.id, include, exclude, variables, policy, campaign_id=campaign_id)
    contact, sample = found if found is not None else (None, None)
    fallback = str(data.get("fallback") or "") if policy == "fallback" else None
    result = preview(template.components, variables, sample, fallback)
    result["contact"] = (
        {"name": sample.name, "phone": contact_label(contact)} if contact and sample else None
    )
    return jsonify(result)


def _json_errors(view):
    """A bad id in the wizard's JSON is a JSON 400, not the HTML pages' redirect."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except BadParameter as exc:
            return json_error(exc)

    return wrapped


def bp_json(bp: Blueprint) -> None:
    bp.add_url_rule("/campaigns/templates/<int:template_id>.json", "template_info",
                    admin_required(template_info))  # fmt: skip
    bp.add_url_rule(
        "/campaigns/audience.json",
        "audience",
        admin_required(_json_errors(audience)),
        methods=["POST"],
    )
    bp.add_url_rule(
        "/campaigns/preview.json",
        "preview",
        admin_required(_json_errors(sample_preview)),
        methods=["POST"],
    )
