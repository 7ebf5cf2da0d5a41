"""Template status/quality/category changes reported by Meta (webhook or sync job).

One function, :func:`apply_template_update`, used by the webhook and by the templates
sync job, so a status change always produces the same notification and signal.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.events import send_safely, template_status_changed
from clickpro.extensions import db
from clickpro.labels import label
from clickpro.models import Audience, Notification, Template, TemplateStatus
from clickpro.models.base import utcnow
from clickpro.services.accounts.notifications import announce, notify
from clickpro.services.templates.wabas import default_waba_id, waba_clause

__all__ = ["apply_template_update", "status_label"]

# Reasons Meta sends when there is nothing to say.
_EMPTY_REASONS = frozenset({"", "NONE", "NULL"})


def status_label(status: str) -> str:
    """The status as the user reads it (one table for every page: clickpro.labels)."""
    return label("template", status)


def _find(client_id: int, meta_template_id, name, language, waba_id) -> list[Template]:
    stmt = sa.select(Template).where(Template.client_id == client_id)
    if waba_id not in (None, ""):
        # Names are unique per WABA only: the same name on the client's other WABA is
        # another template. Legacy rows (no WABA yet) count for the first number's WABA.
        stmt = stmt.where(waba_clause(str(waba_id), default_waba_id(client_id)))
    if meta_template_id not in (None, ""):
        by_id = list(
            db.session.scalars(stmt.where(Template.meta_template_id == str(meta_template_id)))
        )
        if by_id or not name:
            return by_id
    if not name:
        return []
    stmt = stmt.where(Template.name == name)
    if language:
        stmt = stmt.where(Template.language == language)
    return list(db.session.scalars(stmt))


def _notify_admins(
    template: Template, previous: str, status: str, reason: str | None, version: str
) -> Notification | None:
    """One notification per status change, for the client's admins (read state per
    admin). The key names the change and the row version it was computed from: the
    webhook and the sync (or two workers) applying the same change to the same row
    store one notification; a later change of the same kind has a new version."""
    text = _(
        'O modelo "%(name)s" (%(language)s) agora está: %(status)s.',
        name=template.name,
        language=label("language", template.language),
        status=status_label(status),
    )
    if reason:
        text += " " + _(
            "Motivo informado pela Meta: %(reason)s.", reason=label("rejection", reason).rstrip(".")
        )
    return notify(
        template.client_id,
        "template_status",
        text,
        template_id=template.id,
        audience=Audience.ADMINS,
        dedupe_key=f"template_status:{template.id}:{previous}>{status}:{version}",
        commit=False,
    )


def _clean_reason(reason: str | None) -> str | None:
    value = (reason or "").strip()
    return None if value.upper() in _EMPTY_REASONS else value


def apply_template_update(
    client_id: int,
    *,
    waba_id: str | None = None,
    meta_template_id=None,
    name: str | None = None,
    language: str | None = None,
    status: str | None = None,
    reason: str | None = None,
    quality: str | None = None,
    category: str | None = None,
) -> bool:
    """Apply what Meta reports about one template; True if a row changed.

    A status change notifies the client's admins and sends ``template_status_changed``
    after commit. Unknown templates (created outside ClickPro) are ignored. ``waba_id``
    (the webhook entry's id, the WABA being synced) limits the match to that WABA.
    """
    templates = _find(client_id, meta_template_id, name, language, waba_id)
    reason = _clean_reason(reason)
    status = (status or "").upper() or None
    changed_any = False
    moves: list[tuple[Template, str, str, str]] = []
    for template in templates:
        changed = False
        version = template.updated_at.isoformat() if template.updated_at else ""
        if meta_template_id not in (None, "") and not template.meta_template_id:
            template.meta_template_id = str(meta_template_id)
            changed = True
        if status and status != template.status:
            moves.append((template, template.status, status, version))
            template.status = status
            template.rejected_reason = reason if status != TemplateStatus.APPROVED else None
            changed = True
        if quality and quality.upper() != (template.quality_score or ""):
            template.quality_score = quality.upper()[:16]
            changed = True
        if category and category.upper() != template.category:
            template.category = category.upper()[:20]
            changed = True
        if changed:
            template.last_synced_at = utcnow()
            changed_any = True
    if not changed_any:
        return False
    db.session.flush()
    notes = [(move, _notify_admins(move[0], move[1], move[2], reason, move[3])) for move in moves]
    db.session.commit()
    for _move, note in notes:
        if note is not None:
            announce(note)
    # a change another worker already notified (same key) is not signalled twice either
    for template, previous, new, _version in (move for move, note in notes if note is not None):
        send_safely(
            template_status_changed,
            client_id=client_id,
            template_id=template.id,
            previous=previous,
            status=new,
            reason=reason,
        )
    return True
