"""Starting a campaign answers at once: its rows are materialized by a job (PREPARING).

Here RQ is asynchronous (jobs wait in the fake Redis, no worker runs): the tests play the
worker by calling the preparation job themselves, and the user by pausing or cancelling
while it runs.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from campaign_helpers import add_contacts, make_list

from clickpro.extensions import db, redis_connection
from clickpro.jobs import QUEUE_CAMPAIGNS, get_queue
from clickpro.models import Campaign, Message
from clickpro.models.base import utcnow
from clickpro.services.campaigns import audience, dispatchers, preparation
from clickpro.services.campaigns import service as svc
from clickpro.services.campaigns.schedule import tick

VARS = {"body": ["{{contact.name}}", "x"]}


@pytest.fixture
def queued(app, monkeypatch):
    """Jobs are only queued; enqueued dispatchers are recorded, not run."""
    app.config["RQ_ASYNC"] = True
    get_queue(QUEUE_CAMPAIGNS).empty()
    started: list[int] = []
    monkeypatch.setattr(dispatchers, "enqueue_dispatchers", started.append)
    yield started
    get_queue(QUEUE_CAMPAIGNS).empty()


def new_campaign(setup, n=5) -> Campaign:
    lst = make_list(setup.tenant, add_contacts(setup.tenant, n))
    return svc.save_campaign(
        setup.tenant.id,
        {"name": "C", "template_id": setup.template.id, "list_ids": [lst.id], "variables": VARS,
         "rate_mps": 80},
    )  # fmt: skip


def state(campaign_id) -> tuple[str, list[str]]:
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign_id)
    statuses = db.session.scalars(
        sa.select(Message.status).where(Message.campaign_id == campaign_id).order_by(Message.id)
    ).all()
    return campaign.status, list(statuses)


def prepare_jobs() -> list:
    return [j for j in get_queue(QUEUE_CAMPAIGNS).jobs if j.func_name.endswith(".prepare")]


def test_start_answers_preparing_and_the_job_hands_over(setup, queued):
    campaign = new_campaign(setup)
    started = svc.start_campaign(setup.tenant.id, campaign.id)
    assert started.status == "PREPARING"
    assert state(campaign.id) == ("PREPARING", [])  # nothing materialized in the request
    assert len(prepare_jobs()) == 1 and queued == []
    assert preparation.prepare_campaign(campaign.id) == "running"
    assert state(campaign.id) == ("RUNNING", ["QUEUED"] * 5)
    assert queued == [campaign.id]  # dispatchers only once the rows exist
    assert db.session.get(Campaign, campaign.id).materialized_at is not None


def test_pause_during_preparation_keeps_rows_queued_and_resume_dispatches(
    setup, queued, monkeypatch
):
    campaign = new_campaign(setup)
    svc.start_campaign(setup.tenant.id, campaign.id)
    real = audience.materialize

    def user_pauses_meanwhile(c, now):
        real(c, now)
        svc.pause_campaign(setup.tenant.id, campaign.id)  # another request, mid-insert

    monkeypatch.setattr(audience, "materialize", user_pauses_meanwhile)
    assert "PAUSED" in preparation.prepare_campaign(campaign.id)
    assert state(campaign.id) == ("PAUSED", ["QUEUED"] * 5) and queued == []
    assert svc.resume_campaign(setup.tenant.id, campaign.id).status == "RUNNING"
    assert queued == [campaign.id]


def test_pause_before_the_job_ran_resumes_into_preparation(setup, queued):
    campaign = new_campaign(setup)
    svc.start_campaign(setup.tenant.id, campaign.id)
    assert svc.pause_campaign(setup.tenant.id, campaign.id).status == "PAUSED"
    get_queue(QUEUE_CAMPAIGNS).empty()
    assert preparation.prepare_campaign(campaign.id).startswith("not preparing")  # stale job
    assert state(campaign.id) == ("PAUSED", [])
    assert svc.resume_campaign(setup.tenant.id, campaign.id).status == "PREPARING"
    assert len(prepare_jobs()) == 1 and queued == []  # prepared again, never dispatched empty
    assert preparation.prepare_campaign(campaign.id) == "running"
    assert state(campaign.id) == ("RUNNING", ["QUEUED"] * 5)


def test_cancel_during_preparation_cancels_the_rows_it_inserted(setup, queued, monkeypatch):
    campaign = new_campaign(setup)
    svc.start_campaign(setup.tenant.id, campaign.id)
    real = audience.materialize

    def user_cancels_first(c, now):
        svc.cancel_campaign(setup.tenant.id, campaign.id)  # its sweep sees no rows yet
        real(c, now)

    monkeypatch.setattr(audience, "materialize", user_cancels_first)
    preparation.prepare_campaign(campaign.id)
    assert state(campaign.id) == ("CANCELLED", ["CANCELLED"] * 5) and queued == []


def test_worker_dying_mid_materialization_is_resumed_by_the_watchdog(setup, queued, monkeypatch):
    campaign = new_campaign(setup)
    svc.start_campaign(setup.tenant.id, campaign.id)
    real = audience.materialize

    def dies(c, now):
        real(c, now)
        raise SystemExit("worker killed")  # before the commit: the transaction is lost

    monkeypatch.setattr(audience, "materialize", dies)
    with pytest.raises(SystemExit):
        preparation.prepare_campaign(campaign.id)
    db.session.rollback()
    assert state(campaign.id) == ("PREPARING", [])
    get_queue(QUEUE_CAMPAIGNS).empty()  # its job is gone with the worker
    monkeypatch.setattr(audience, "materialize", real)
    assert tick()["prepare_restarted"] == 1  # lease released, nothing queued: again
    assert tick()["prepare_restarted"] == 0  # already queued: not twice
    assert len(prepare_jobs()) == 1
    audience.materialize(db.session.get(Campaign, campaign.id), utcnow())  # a 2nd copy
    db.session.commit()
    assert preparation.prepare_campaign(campaign.id) == "running"
    assert state(campaign.id) == ("RUNNING", ["QUEUED"] * 5)  # one row per contact


def test_a_live_lease_means_no_second_preparation(setup, queued):
    campaign = new_campaign(setup)
    svc.start_campaign(setup.tenant.id, campaign.id)
    get_queue(QUEUE_CAMPAIGNS).empty()
    redis_connection().delete(preparation._queued_key(campaign.id))
    redis_connection().set(preparation._lease_key(campaign.id), "other-worker", px=30_000)
    assert tick()["prepare_restarted"] == 0  # another worker is preparing it
    assert preparation.prepare_campaign(campaign.id) == "busy"
    assert state(campaign.id) == ("PREPARING", [])
