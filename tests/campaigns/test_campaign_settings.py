"""A worker started with ``CLICKPRO_CAMPAIGN_UNKNOWN_GRACE_S=30`` uses 30 s in the watchdog.

The worker app is built exactly as ``clickpro worker`` builds it (the console entry
point's factory, from the environment only), on the test database.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from campaign_helpers import add_contacts, make_list

from clickpro.__main__ import _create_app
from clickpro.extensions import db
from clickpro.models import Author, Direction, Message, MessageStatus
from clickpro.models.base import utcnow
from clickpro.services.campaigns import service as svc
from clickpro.services.campaigns.schedule import expire_sending

TEST_KEY = "dGVzdC1vbmx5LWNsaWNrcHJvLWtleS0zMi1ieXRlcyE="


def test_worker_from_the_environment_expires_sending_rows_30s_after_their_lease(
    setup, monkeypatch, database_url
):
    ids = add_contacts(setup.tenant, 2)
    campaign = svc.save_campaign(
        setup.tenant.id,
        {"name": "C", "template_id": setup.template.id, "list_ids": [make_list(setup.tenant, ids).id],
         "variables": {"body": ["{{contact.name}}", "x"]}, "rate_mps": 80},
    )  # fmt: skip
    claimed_at = utcnow()
    lease_until = claimed_at + timedelta(seconds=20)
    for contact_id in ids:  # a worker claimed these rows, then died mid-send
        db.session.add(
            Message(client_id=setup.tenant.id, contact_id=contact_id, campaign_id=campaign.id,
                    direction=Direction.OUT, author=Author.CAMPAIGN, type="template",
                    status=MessageStatus.SENDING, claimed_at=claimed_at, lease_until=lease_until,
                    attempts=1)
        )  # fmt: skip
    db.session.commit()

    monkeypatch.setenv("CLICKPRO_ENV", "testing")
    monkeypatch.setenv("CLICKPRO_ENCRYPTION_KEYS", TEST_KEY)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CLICKPRO_CAMPAIGN_UNKNOWN_GRACE_S", "30")
    worker_app = _create_app()  # what `clickpro worker` runs its jobs in
    assert worker_app.config["CAMPAIGN_UNKNOWN_GRACE_S"] == 30
    assert type(worker_app.config["CAMPAIGN_UNKNOWN_GRACE_S"]) is int
    with worker_app.app_context():
        try:
            assert expire_sending(lease_until + timedelta(seconds=25)) == 0
            assert expire_sending(lease_until + timedelta(seconds=35)) == 2  # default: 60 s
        finally:
            db.session.remove()
            db.engine.dispose()
    db.session.expire_all()
    statuses = db.session.scalars(
        sa.select(Message.status).where(Message.campaign_id == campaign.id)
    ).all()
    assert statuses == [MessageStatus.UNKNOWN] * 2
