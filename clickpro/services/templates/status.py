"""Template status/quality/category changes reported by Meta (webhook or sync job).

One function, :func:`apply_template_update`, used by the webhook and by the templates
sync job, so a status change always produces the same notification and signal.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.events import notification_created, send_safely, template_status_changed
from clickpro.extensions import db
from clickpro.models import ClientMember, Notification, Role, Template, TemplateStatus
from clickpro.models.base import utcnow
from clickpro.services.accounts.notifications import notify

__all__ = ["apply_template_update", "status_label"]

# Reasons Meta sends when there is nothing to say.
_EMPTY_REASONS = frozenset({"", "NONE", "NULL"})


def status_label(status: str) -> str:
    labels: dict[str, str] = {
        TemplateStatus.DRAFT: _("Rascunho"),
        TemplateStatus.PENDING: _("Em análise"),
        TemplateStatus.APPROVED: _("Aprovado"),
        TemplateStatus.REJECTED: _("Rejeitado"),
        TemplateStatus.PAUSED: _("Pausado"),
        TemplateStatus.DISABLED: _("Desativado"),
        TemplateStatus.IN_APPEAL: _("Em recurso"),
        TemplateStatus.PENDING_DELETION: _("Exclusão pendente"),
        TemplateStatus.DELETED: _("Excluído"),
        TemplateStatus.ARCHIVED: _("Arquivado"),
        TemplateStatus.LIMIT_EXCEEDED: _("Limite excedido"),
    }
    return labels.get(status, status)


def _find(client_id: int, meta_template_id, name, language) -> list[Template]:
    stmt = sa.select(Template).where(Template.client_id == client_id)
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


def _notify_admins(template: Template, status: str, reason: str | None) -> list[Notification]:
    text = _(
        'O modelo "%(name)s" (%(language)s) agora está: %(status)s.',
        name=template.name,
        language=template.language,
        status=status_label(status),
    )
    if reason:
        text += " " + _("Motivo informado pela Meta: %(reason)s.", reason=reason)
    admins = db.session.scalars(
        sa.select(ClientMember.user_id).where(
            ClientMember.client_id == template.client_id,
            ClientMember.role == Role.CLIENT_ADMIN,
            ClientMember.is_active.is_(True),
        )
    ).all()
    recipients: list[int | None] = [*admins] or [None]  # no admin: one client-wide notice
    return [
        notify(
            template.client_id,
            "template_status",
            text,
            template_id=template.id,
            user_id=user_id,
            commit=False,
        )
        for user_id in recipients
    ]


def _clean_reason(reason: str | None) -> str | None:
    value = (reason or "").strip()
    return None if value.upper() in _EMPTY_REASONS else value


def apply_template_update(
    client_id: int,
    *,
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
    after commit. Unknown templates (created outside ClickPro) are ignored.
    """
    templates = _find(client_id, meta_template_id, name, language)
    reason = _clean_reason(reason)
    status = (status or "").upper() or None
    changed_any = False
    moves: list[tuple[Template, str, str]] = []
    for template in templates:
        changed = False
        if meta_template_id not in (None, "") and not template.meta_template_id:
            template.meta_template_id = str(meta_template_id)
            changed = True
        if status and status != template.status:
            moves.append((template, template.status, status))
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
    notes = [n for template, _old, new in moves for n in _notify_admins(template, new, reason)]
    if not changed_any:
        return False
    db.session.commit()
    for note in notes:
        send_safely(
            notification_created,
            client_id=note.client_id,
            notification_id=note.id,
            user_id=note.user_id,
        )
    for template, previous, new in moves:
        send_safely(
            template_status_changed,
            client_id=client_id,
            template_id=template.id,
            previous=previous,
            status=new,
            reason=reason,
        )
    return True
