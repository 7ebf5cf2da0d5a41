"""The super admin sees how many messages of an event had neither phone nor BSUID."""

from __future__ import annotations

import sqlalchemy as sa
from identity_helpers import change, customer_message, messages_value, new_wamid, post

from clickpro.admin import EXTENSION_KEY, FilterPositive
from clickpro.extensions import db
from clickpro.models import WebhookEvent


def _malformed_filter_arg(app) -> str:
    admin = app.extensions[EXTENSION_KEY]
    (view,) = [v for v in admin._views if v.endpoint == "admin_webhook_events"]
    (index,) = [n for n, f in enumerate(view._filters) if isinstance(f, FilterPositive)]
    return f"flt0_{index}"


def test_super_admin_sees_and_filters_malformed_events(app, client, shop, create_user, login_as):
    nobody = {"id": new_wamid(), "timestamp": "1780000000", "type": "text",
              "text": {"body": "sem remetente"}}  # fmt: skip
    post(client, change("messages", messages_value([], [nobody])))
    post(client, customer_message(bsuid="BR.1502576394655843"))
    bad, good = db.session.scalars(sa.select(WebhookEvent).order_by(WebhookEvent.id)).all()
    assert (bad.malformed, good.malformed) == (1, 0)

    login_as(create_user("root@example.com", is_super_admin=True))
    page = client.get("/admin/admin_webhook_events/")
    assert page.status_code == 200
    assert "Mensagens sem telefone nem BSUID" in page.get_data(as_text=True)
    arg = _malformed_filter_arg(app)
    only_bad = client.get(f"/admin/admin_webhook_events/?{arg}=1").get_data(as_text=True)
    assert f'value="{bad.id}"' in only_bad and f'value="{good.id}"' not in only_bad
    only_good = client.get(f"/admin/admin_webhook_events/?{arg}=0").get_data(as_text=True)
    assert f'value="{good.id}"' in only_good and f'value="{bad.id}"' not in only_good


def test_a_client_admin_cannot_see_the_events(client, shop, login_as):
    login_as(shop.admin, shop)
    assert client.get("/admin/admin_webhook_events/").status_code in (302, 403, 404)
