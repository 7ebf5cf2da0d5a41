"""Cleaning wizard/API input for a campaign: types, ownership, limits — pt_BR refusals."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import get_timezone_location
from flask_babel import get_locale
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models import (
    Campaign,
    Client,
    ContactList,
    Template,
    TemplateStatus,
    WhatsAppCredential,
)
from clickpro.params import BadParameter, parse_id
from clickpro.services.accounts.validation import column_length
from clickpro.services.campaigns.numbers import (
    active_number,
    template_fits,
    wrong_waba_message,
)
from clickpro.services.campaigns.vars import POLICIES, normalize
from clickpro.services.conversations import first_number

TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class CampaignError(ServiceError, ValueError):
    """A refused campaign operation; ``str()`` is the pt_BR message for the user."""


def client_zone(client_id: int) -> ZoneInfo:
    name = db.session.scalar(sa.select(Client.timezone).where(Client.id == client_id))
    try:
        return ZoneInfo(name or "America/Sao_Paulo")
    except Exception:  # noqa: BLE001 - a bad zone name must not break campaigns
        return ZoneInfo("America/Sao_Paulo")


def scheduled_message(campaign: Campaign) -> str:
    """ "Campanha agendada para 05/01/2026 às 14:30" in the client's time zone."""
    when = campaign.scheduled_at
    if when is None:  # pragma: no cover - only called for a SCHEDULED campaign
        return _("Campanha agendada.")
    zone = client_zone(campaign.client_id)
    local = when.astimezone(zone)
    try:
        where = get_timezone_location(zone, locale=str(get_locale() or "pt_BR"))
    except Exception:  # noqa: BLE001 - a label must never break the action
        where = zone.key
    return _(
        "Campanha agendada para %(date)s às %(time)s, %(zone)s.",
        date=local.strftime("%d/%m/%Y"),
        time=local.strftime("%H:%M"),
        zone=where,
    )


def _int_list(raw, label: str) -> list[int]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str | int):
        raw = [raw]
    try:
        return sorted({int(v) for v in raw if str(v).strip()})
    except (TypeError, ValueError):
        raise CampaignError(_("Lista inválida em %(label)s.", label=label)) from None


def _owned_lists(client_id: int, ids: list[int]) -> list[int]:
    if not ids:
        return []
    found = set(db.session.scalars(
        sa.select(ContactList.id).where(ContactList.client_id == client_id, ContactList.id.in_(ids))
    ))  # fmt: skip
    if found != set(ids):
        raise CampaignError(_("Lista de contatos não encontrada."))
    return ids


def _number(raw, label: str, *, integer: bool = False) -> float | int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(raw) if integer else float(str(raw).replace(",", "."))
    except (TypeError, ValueError):
        raise CampaignError(_("%(label)s deve ser um número.", label=label)) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise CampaignError(_("%(label)s deve ser um número.", label=label))
    return value


def parse_schedule(raw, client_id: int) -> datetime | None:
    """An aware datetime, or ``YYYY-MM-DDTHH:MM`` in the client's timezone."""
    if raw in (None, ""):
        return None
    if isinstance(raw, datetime):
        value = raw
    else:
        try:
            value = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
        except ValueError:
            raise CampaignError(
                _("Data/hora de início inválida: use AAAA-MM-DDTHH:MM (ex.: 2026-01-05T14:30).")
            ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=client_zone(client_id))
    return value.astimezone(UTC)


def parse_window(raw) -> dict | None:
    if not raw:
        return None
    if not isinstance(raw, dict):
        raise CampaignError(_("Janela de envio inválida."))
    try:
        days = sorted({int(d) for d in raw.get("days") or []})
    except (TypeError, ValueError):
        raise CampaignError(
            _("Dias da janela de envio inválidos: use números de 0 (segunda) a 6 (domingo).")
        ) from None
    start, end = str(raw.get("start") or ""), str(raw.get("end") or "")
    if not days or any(d < 0 or d > 6 for d in days):
        raise CampaignError(_("Escolha ao menos um dia da semana para a janela de envio."))
    if not TIME_RE.match(start) or not TIME_RE.match(end) or start >= end:
        raise CampaignError(
            _("A janela de envio precisa de início e fim (HH:MM), com início antes do fim.")
        )
    return {"days": days, "start": start, "end": end}


def _template(client_id: int, raw) -> Template:
    try:
        wanted = parse_id(raw, "template_id")
    except BadParameter:
        wanted = None
    template = db.session.scalar(
        sa.select(Template).where(Template.client_id == client_id, Template.id == wanted)
    ) if wanted else None  # fmt: skip
    if template is None:
        raise CampaignError(_("Modelo não encontrado."))
    if template.status != TemplateStatus.APPROVED:
        raise CampaignError(_("O modelo %(name)s não está aprovado pela Meta.", name=template.name))
    return template


def chosen_number(
    client_id: int, data: dict, current: WhatsAppCredential | None
) -> tuple[WhatsAppCredential | None, bool]:
    """(number, chosen): the active number ``data`` names — ``phone_number_id`` (Meta's
    id, the API) or ``number_id`` (ours, the wizard) — else ``current`` (the campaign's
    number), else the client's first number. ``chosen``: ``data`` named one.

    A number that is not an active one of the client's is refused; another client's
    number gets the same answer as an unknown one.
    """
    message = _("Número do WhatsApp não encontrado entre os números ativos deste cliente.")
    meta_id = data.get("phone_number_id")
    if meta_id not in (None, ""):
        number = active_number(client_id, phone_number_id=str(meta_id).strip())
        if number is None:
            raise CampaignError(message, field="phone_number_id")
        return number, True
    raw = data.get("number_id")
    if raw not in (None, ""):
        try:
            wanted = parse_id(raw, "number_id")
        except BadParameter:
            wanted = None
        number = active_number(client_id, id=wanted) if wanted else None
        if number is None:
            raise CampaignError(message, field="number_id")
        return number, True
    return current or first_number(client_id), False


def clean_campaign_data(
    client_id: int,
    data: dict,
    campaign: Campaign,
    number: WhatsAppCredential | None,
    now: datetime,
) -> dict:
    """Validated values for the keys present in ``data`` (a partial update is fine).

    ``number``: the number the campaign sends from now (None: a new campaign, or one
    from before numbers). The result's ``number_id`` is set when the campaign gets one.
    """
    out: dict = {}
    number, chosen = chosen_number(client_id, data, number)
    if number is not None and (chosen or campaign.number_id is None):
        out["number_id"] = number.id
    if "name" in data or campaign.id is None:
        name = str(data.get("name") or "").strip()
        if not name:
            raise CampaignError(_("Dê um nome à campanha."))
        if len(name) > column_length(Campaign.name):  # refused, never cut silently
            raise CampaignError(
                _(
                    "O nome da campanha tem no máximo %(max)s caracteres (tem %(n)s).",
                    max=column_length(Campaign.name),
                    n=len(name),
                ),
                field="name",
            )
        out["name"] = name
    template = None
    if "template_id" in data or campaign.id is None:
        template = _template(client_id, data.get("template_id"))
        out["template_id"] = template.id
    elif campaign.template_id:
        template = db.session.get(Template, campaign.template_id)
    if (
        template is not None
        and number is not None
        and ("template_id" in out or chosen)
        and not template_fits(template, number)
    ):
        raise CampaignError(wrong_waba_message(template, number), field="template_id")
    if "list_ids" in data:
        out["list_ids"] = _owned_lists(client_id, _int_list(data["list_ids"], _("listas")))
    if "exclude_list_ids" in data:
        out["exclude_list_ids"] = _owned_lists(
            client_id, _int_list(data["exclude_list_ids"], _("exclusões"))
        )
    if "variables" in data and template is not None:
        out["variables"] = normalize(template.components, data.get("variables") or {})
        fallback = data.get("fallback", (campaign.variables or {}).get("fallback"))
        out["fallback"] = str(fallback or "").strip()[:200]
    if "missing_value_policy" in data:
        if data["missing_value_policy"] not in POLICIES:
            raise CampaignError(
                _("Política para valores ausentes inválida: use skip (pular) ou fallback.")
            )
        out["missing_value_policy"] = data["missing_value_policy"]
    if "rate_mps" in data or campaign.id is None:
        limit = number.throughput_mps if number else 80
        rate = _number(data.get("rate_mps", min(20, limit)), _("A velocidade"))
        if rate is None or rate <= 0:
            raise CampaignError(_("A velocidade deve ser maior que zero."))
        if rate > limit:
            raise CampaignError(
                _("A velocidade máxima deste número é %(max)s mensagens/s.", max=limit)
            )
        out["rate_mps"] = rate
    if "batch_size" in data:
        size = _number(data["batch_size"], _("O tamanho do lote"), integer=True)
        if size is not None and size < 1:
            raise CampaignError(_("O tamanho do lote deve ser ao menos 1."))
        out["batch_size"] = size
    if "batch_interval_s" in data:
        pause = _number(data["batch_interval_s"], _("A pausa entre lotes"))
        if pause is not None and not 0 <= pause <= 86400:
            raise CampaignError(_("A pausa entre lotes deve ficar entre 0 e 86400 segundos."))
        out["batch_interval_s"] = pause
    if "send_window" in data:
        out["send_window"] = parse_window(data["send_window"])
    if "scheduled_at" in data:
        when = parse_schedule(data["scheduled_at"], client_id)
        if when is not None and when <= now:
            raise CampaignError(_("A data de início já passou."))
        out["scheduled_at"] = when
    return out
