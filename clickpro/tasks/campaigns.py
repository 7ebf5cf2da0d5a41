"""Campaign jobs (queue ``campaigns``): the preparation, the dispatcher, the scheduled start;
the watchdog (queue ``periodic``)."""

from __future__ import annotations

import logging

from clickpro.extensions import db
from clickpro.models import Campaign

log = logging.getLogger(__name__)


def dispatch(campaign_id: int, slot: int = 0) -> str:
    """Send a campaign's queued rows until it is done, paused, cancelled or the slice ends."""
    from clickpro.services.campaigns.dispatch import run_dispatcher

    reason = run_dispatcher(int(campaign_id), int(slot))
    log.info("campaign %s slot %s dispatcher exit: %s", campaign_id, slot, reason)
    return reason


def prepare(campaign_id: int) -> str:
    """Materialize a started campaign's rows, then hand over to the dispatchers."""
    from clickpro.services.campaigns.preparation import prepare_campaign

    outcome = prepare_campaign(int(campaign_id))
    log.info("campaign %s preparation: %s", campaign_id, outcome)
    return outcome


def start_scheduled(campaign_id: int) -> None:
    """The ``enqueue(at=scheduled_at)`` job of a SCHEDULED campaign."""
    from clickpro.services.campaigns.service import CampaignError, start_campaign

    campaign = db.session.get(Campaign, int(campaign_id))
    if campaign is None:
        return
    try:
        start_campaign(campaign.client_id, campaign.id, scheduled=True)
    except CampaignError as exc:
        log.warning("scheduled start of campaign %s refused: %s", campaign_id, exc)


def watchdog() -> dict:
    """Periodic: due scheduled starts, send windows, dead dispatchers, stale SENDING rows."""
    from clickpro.services.campaigns.schedule import tick

    return tick()
