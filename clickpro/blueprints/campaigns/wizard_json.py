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
from clickpro.models import Contact, ContactList, ContactListMember, Template
from clickpro.params import BadParameter, parse_id
from clickpro.services.campaigns import service as svc
from clickpro.services.campaigns.audience import count_audience
from clickpro.services.campaigns.vars import ContactData, normalize, preview
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


def audience():
    """Live count: ``{list_ids, exclude_list_ids, variables, policy}`` → counts + warning."""
    client = require_client()
    data = request.get_json(silent=True) or {}
    include = _ids(data.get("list_ids"))
    exclude = _ids(data.get("exclude_list_ids"), "exclude_list_ids")
    owned = set(
        db.session.scalars(sa.select(ContactList.id).where(ContactList.client_id == client.id))
    )
    include = [i for i in include if i in owned]
    exclude = [i for i in exclude if i in owned]
    policy = "fallback" if data.get("policy") == "fallback" else "skip"
    variables = found if isinstance(found := data.get("variables"), dict) else {}
    count = count_audience(client.id, include, exclude, variables, policy)
    missing_any = count_audience(client.id, include, exclude, variables, "skip").missing
    return jsonify(**count.as_dict(), missing_values=missing_any,
                   tier_warning=svc.tier_warning(client.id, count.eligible))  # fmt: skip


def sample_preview():
    """The template filled for one sample contact of the chosen lists."""
    client = require_client()
    data = request.get_json(silent=True) or {}
    template = db.session.scalar(sa.select(Template).where(
        Template.client_id == client.id, Template.id == (parse_id(data.get("template_id"), "template_id") or 0)))  # fmt: skip
    if template is None:
        return json_error(NotFoundError(_("Modelo não encontrado."), field="template_id"))
    variables = normalize(
        template.components,
        data.get("variables") if isinstance(data.get("variables"), dict) else {},
    )
    include = _ids(data.get("list_ids"))
    contact = None
    if include:
        contact = db.session.scalar(
            sa.select(Contact).join(ContactListMember, ContactListMember.contact_id == Contact.id)
            .where(Contact.client_id == client.id, ContactListMember.list_id.in_(include))
            .order_by(Contact.id).limit(1)
        )  # fmt: skip
    sample = (
        ContactData(contact.name, contact.phone_e164, contact.attributes or {}) if contact else None
    )
    fallback = data.get("fallback") if data.get("policy") == "fallback" else None
    result = preview(template.components, variables, sample, fallback)
    result["contact"] = {"name": contact.name, "phone": contact.phone_e164} if contact else None
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
