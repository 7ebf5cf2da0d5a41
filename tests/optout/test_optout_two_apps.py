"""Signals per app: two apps in one process, only the one with the plugin opts out on SAIR.

Before receivers were connected per app, the second app (built with ``PLUGINS=()``)
still ran the first app's opt-out receiver, because blinker signals are module globals.
"""

from __future__ import annotations

import sqlalchemy as sa
from optout_helpers import PHONE
from webhook_helpers import inbound, post

from clickpro import events
from clickpro.extensions import db
from clickpro.models import Contact, Message, OptOut
from clickpro.services.contacts import optout, optout_rules


def _sair(app, wamid: str):
    payload = inbound("5511987654321", {"type": "text", "text": {"body": "SAIR"}}, wamid=wamid)
    return post(app.test_client(), payload, secret="sandbox-app-secret")


def test_sair_opts_out_only_in_the_app_that_has_the_plugin(app, make_app, shop, confirmations):
    bare = make_app(PLUGINS=())  # built after `app`, in the same process
    assert app.extensions["clickpro.plugins"] == ("optout", "ai_reply", "flows")
    assert bare.extensions["clickpro.plugins"] == ()

    assert _sair(bare, "wamid.TWOAPPS0001").status_code == 200
    db.session.expire_all()
    stored = db.session.scalar(sa.select(Message).where(Message.wamid == "wamid.TWOAPPS0001"))
    assert stored is not None and stored.body == "SAIR"  # the core still stored it
    assert not optout.is_opted_out(shop.id, PHONE)  # …but no plugin reacted
    assert db.session.scalar(sa.select(sa.func.count(OptOut.id))) == 0
    assert confirmations == []

    assert _sair(app, "wamid.TWOAPPS0002").status_code == 200
    db.session.expire_all()
    assert optout.is_opted_out(shop.id, PHONE)
    contact = db.session.scalar(sa.select(Contact).where(Contact.client_id == shop.id))
    assert confirmations == [(shop.id, contact.id, optout_rules.STOP_CONFIRMATION, "SYSTEM")]


def test_receivers_are_registered_per_app(app, make_app):
    bare = make_app(PLUGINS=())
    with_plugin = set(events.message_received.receivers_for(app))
    without = set(events.message_received.receivers_for(bare))
    assert optout_rules.on_message_received in with_plugin
    assert optout_rules.on_message_received not in without
    from clickpro.services.inbox import events as inbox_events

    assert inbox_events.on_message_received in without  # core receivers: every app
