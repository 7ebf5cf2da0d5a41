"""Meta's template rules that change what a campaign costs or whether it may run.

* ``template_category_update``: the *impending* notice (``correct_category`` +
  ``category_update_timestamp``; its ``new_category`` is confusingly the current one)
  only notifies the admins with the date — routing and prices change on the *completed*
  notice only (Meta's "Route template messages by category"), which updates the template,
  re-estimates its scheduled and running campaigns and notifies.
* A template PAUSED or DISABLED by Meta pauses every running campaign that uses it
  (``paused_by="system"``: the watchdog never resumes it), with the reason and one
  notification per campaign (receiver of ``template_status_changed``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import format_datetime
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import Campaign, CampaignStatus, Template, TemplateStatus
from clickpro.services.accounts.notifications import notify
from clickpro.services.costs.reports import reestimate_for_template
from clickpro.services.templates.status import apply_template_update

log = logging.getLogger(__name__)
STOPPING = frozenset({TemplateStatus.PAUSED, TemplateStatus.DISABLED})


def _templates(client_id: int, value: dict) -> list[Template]:
    stmt = sa.select(Template).where(Template.client_id == client_id)
    meta_id = value.get("message_template_id")
    if meta_id not in (None, ""):
        found = list(db.session.scalars(stmt.where(Template.meta_template_id == str(meta_id))))
        if found:
            return found
    name = value.get("message_template_name")
    if not name:
        return []
    stmt = stmt.where(Template.name == str(name))
    if value.get("message_template_language"):
        stmt = stmt.where(Template.language == str(value["message_template_language"]))
    return list(db.session.scalars(stmt))


def _when(timestamp) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(timestamp)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def category_update(client_id: int, value: dict) -> None:
    """Apply one ``template_category_update`` value to ``client_id``'s templates."""
    templates = _templates(client_id, value)
    if not templates:
        return
    if value.get("correct_category"):
        _impending(client_id, templates, value)
    else:
        _completed(client_id, templates, value)


def _impending(client_id: int, templates: list[Template], value: dict) -> None:
    when = _when(value.get("category_update_timestamp"))
    date = format_datetime(when, "short") if when else _("em breve")
    target = str(value["correct_category"]).upper()
    for template in templates:
        notify(
            client_id,
            "template_status",
            _(
                'A Meta vai mudar a categoria do modelo "%(name)s" (%(language)s) de '
                "%(current)s para %(new)s em %(date)s. O preço das mensagens muda junto.",
                name=template.name,
                language=template.language,
                current=template.category,
                new=target,
                date=date,
            ),
            template_id=template.id,
        )


def _completed(client_id: int, templates: list[Template], value: dict) -> None:
    new = str(value.get("new_category") or "").upper()
    if not new:
        return
    moved = [(t.id, t.name, t.language, t.category) for t in templates if t.category != new]
    apply_template_update(
        client_id,
        meta_template_id=value.get("message_template_id"),
        name=value.get("message_template_name"),
        language=value.get("message_template_language"),
        category=new,
    )
    for template_id, name, language, previous in moved:
        count = reestimate_for_template(client_id, template_id)
        notify(
            client_id,
            "template_status",
            _(
                'A Meta mudou a categoria do modelo "%(name)s" (%(language)s) de %(old)s '
                "para %(new)s. Estimativa de custo refeita em %(n)s campanha(s).",
                name=name,
                language=language,
                old=str(value.get("previous_category") or previous).upper(),
                new=new,
                n=count,
            ),
            template_id=template_id,
        )


def on_template_status_changed(
    sender, *, client_id: int, template_id: int, status: str, reason: str | None = None, **_kw
) -> None:
    """PAUSED/DISABLED by Meta → pause its running campaigns, with the reason."""
    if status not in STOPPING:
        return
    from clickpro.services.campaigns.form import CampaignError
    from clickpro.services.campaigns.lifecycle import pause_campaign

    template = db.session.get(Template, template_id)
    if template is None or template.client_id != client_id:
        return
    running = db.session.scalars(
        sa.select(Campaign.id).where(
            Campaign.client_id == client_id,
            Campaign.template_id == template_id,
            Campaign.status.in_((CampaignStatus.RUNNING, CampaignStatus.PREPARING)),
        )
    ).all()
    label = _("pausado") if status == TemplateStatus.PAUSED else _("desativado")
    text = _('O modelo "%(name)s" foi %(state)s pela Meta.', name=template.name, state=label)
    if reason:
        text += " " + _("Motivo informado pela Meta: %(reason)s.", reason=reason)
    for campaign_id in running:
        try:
            campaign = pause_campaign(client_id, campaign_id, text, by="system")
        except CampaignError:  # finished meanwhile
            db.session.rollback()
            continue
        notify(
            client_id,
            "campaign_paused",
            _('Campanha "%(name)s" pausada: %(why)s', name=campaign.name, why=text),
            campaign_id=campaign_id,
            template_id=template_id,
        )
