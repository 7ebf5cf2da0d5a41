"""The approval of a template is notified once, whoever reports it and however often.

The double notification of v1: Meta's status webhook and the template sync (periodic or
the "Sincronizar" button) both read the row while it was PENDING and both notified
(and with two admins, one row per admin). Now one row per change, keyed by the change
and the row version it was computed from, read state per admin.
"""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.models import Notification, Role, Template
from clickpro.services.templates.status import apply_template_update


def _notes(db, template_id: int) -> list[Notification]:
    stmt = sa.select(Notification).where(
        Notification.kind == "template_status", Notification.template_id == template_id
    )
    return list(db.session.scalars(stmt))


def _template(db, tenant) -> Template:
    row = Template(
        client_id=tenant.id,
        name="boas_vindas",
        language="pt_BR",
        category="MARKETING",
        status="PENDING",
        meta_template_id="999001",
        components=[],
    )
    db.session.add(row)
    db.session.commit()
    return row


def _approve(tenant, template_id: int) -> bool:
    return apply_template_update(
        tenant.id, meta_template_id="999001", name="boas_vindas", language="pt_BR",
        status="APPROVED",
    )  # fmt: skip


def test_two_reports_computed_from_the_same_pending_row_notify_once(
    app, db, create_client, create_member
):
    """Webhook and sync race: both saw PENDING. Simulated by rolling the row back to
    the very state (status and version) the second reporter read."""
    tenant = create_client()
    create_member(tenant, Role.CLIENT_ADMIN)  # two admins: still one notification
    template = _template(db, tenant)
    seen_version = template.updated_at
    assert _approve(tenant, template.id)
    # the second reporter's transaction read the row before the first one committed
    db.session.execute(
        sa.update(Template)
        .where(Template.id == template.id)
        .values(status="PENDING", updated_at=seen_version)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.expire_all()
    _approve(tenant, template.id)
    notes = _notes(db, template.id)
    assert len(notes) == 1
    assert notes[0].audience == "admins" and notes[0].user_id is None


def test_a_later_real_change_of_the_same_kind_is_notified_again(app, db, create_client):
    tenant = create_client()
    template = _template(db, tenant)
    assert _approve(tenant, template.id)
    assert apply_template_update(tenant.id, meta_template_id="999001", status="PAUSED")
    assert _approve(tenant, template.id)
    texts = [n.text for n in _notes(db, template.id)]
    assert len(texts) == 3 and "Aprovado" in texts[0] and "Aprovado" in texts[2]


def test_each_admin_reads_the_approval_for_themselves(
    app, db, create_client, create_member, login_as
):
    tenant = create_client()
    other_admin = create_member(tenant, Role.CLIENT_ADMIN)
    agent = create_member(tenant, Role.CLIENT_USER)
    template = _template(db, tenant)
    _approve(tenant, template.id)
    (note,) = _notes(db, template.id)
    first = login_as(tenant.admin, tenant)
    assert first.get("/notifications/unread.json").json == {"unread": 1}
    first.post(f"/notifications/{note.id}/read")
    assert first.get("/notifications/unread.json").json == {"unread": 0}
    assert login_as(other_admin, tenant).get("/notifications/unread.json").json == {"unread": 1}
    assert login_as(agent, tenant).get("/notifications/unread.json").json == {"unread": 0}
