"""The demo campaign shows an estimate and, once the sandbox's statuses arrive, its cost."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import Campaign
from clickpro.services.costs.reports import campaign_cost
from clickpro.services.demo import DEMO_CAMPAIGN, seed_demo


def test_demo_campaign_has_estimate_and_actual_cost(app, make_app):
    demo_app = make_app(SANDBOX_ENABLED=True, EMBEDDED=True)
    state = demo_app.extensions["clickpro.sandbox"].extensions["sandbox"]
    state.update_config({"webhook_delivery": "manual"})
    with demo_app.app_context():
        seed_demo()
        campaign = db.session.scalar(sa.select(Campaign).where(Campaign.name == DEMO_CAMPAIGN))
        assert campaign is not None and campaign.status == "COMPLETED"
        before = campaign_cost(campaign)
        # 50 Brazilian contacts × the default card's marketing price (US$ 0.0625).
        assert (before.currency, before.estimated) == ("USD", Decimal("3.125"))
        assert before.actual == 0
        state.flush()  # the status webhooks, with pricing, reach the app
        db.session.expire_all()
        after = campaign_cost(campaign)
        assert after.actual == Decimal("3.125") and after.delivered == 50
        db.session.remove()
    state.close()
