"""The review agrees with the wizard (one function counts both), each variable has its own
default, the review shows a rendered sample, and "Agendar" says when."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from campaign_helpers import add_contacts, make_list

from clickpro.extensions import db
from clickpro.models import Campaign
from clickpro.models.base import utcnow
from clickpro.services.campaigns import service as svc


def _audience(setup, n_full=4, n_no_coupon=3, n_no_name=2):
    ids = add_contacts(setup.tenant, n_full)
    ids += add_contacts(setup.tenant, n_no_coupon, attrs=lambda i: {})
    ids += add_contacts(setup.tenant, n_no_name, names=False)
    return make_list(setup.tenant, ids)


def _form(setup, lst, **extra) -> dict:
    data = {"name": "Natal", "template_id": str(setup.template.id), "list_ids": [str(lst.id)],
            "var-body-0": "{{contact.name}}", "var-body-1": "{{contact.cupom}}",
            "missing_value_policy": "skip", "start_mode": "now", "rate_mps": "40"}  # fmt: skip
    data.update(extra)
    return data


def _review_numbers(page: str) -> tuple[int, int, int]:
    eligible = int(re.search(r"(\d+) contato\(s\) vão receber", page).group(1))
    opted, missing = re.search(
        r"\((\d+) descadastrado\(s\), (\d+) sem valor de variável", page
    ).groups()
    return eligible, int(opted), int(missing)


@pytest.mark.parametrize(
    ("policy", "defaults", "expected"),
    [
        ("skip", {}, (4, 5, 0)),  # anyone lacking a value is skipped
        ("fallback", {"default-body-1": "BEMVINDO"}, (7, 2, 3)),  # name has no default
        ("fallback", {"default-body-0": "cliente", "default-body-1": "BEMVINDO"}, (9, 0, 5)),
        ("fallback", {}, (4, 5, 0)),  # no default at all: values still required
    ],
)
def test_review_and_wizard_show_the_same_numbers(setup, login_as, policy, defaults, expected):
    lst = _audience(setup)
    web = login_as(setup.tenant.admin, setup.tenant)
    form = _form(setup, lst, missing_value_policy=policy, **defaults)
    assert web.post("/campaigns/new", data=form).status_code == 302
    campaign = db.session.scalar(sa.select(Campaign))
    body_defaults = [defaults.get("default-body-0", ""), defaults.get("default-body-1", "")]
    wizard = web.post("/campaigns/audience.json", json={
        "list_ids": [lst.id], "policy": policy, "campaign_id": campaign.id,
        "variables": {"body": ["{{contact.name}}", "{{contact.cupom}}"],
                      "defaults": {"body": body_defaults}},
    }).get_json()  # fmt: skip
    eligible, missing, defaulted = expected
    assert (wizard["eligible"], wizard["missing"], wizard["defaulted"]) == expected
    assert wizard["missing_values"] == wizard["missing"]
    review = svc.audience_of(campaign)
    assert (review.eligible, review.missing, review.defaulted) == expected
    page = web.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert _review_numbers(page) == (eligible, 0, missing)
    if defaulted:
        assert f"{defaulted} vão receber o valor padrão de alguma variável" in page


def test_each_variable_has_its_own_default_when_sending(setup, login_as, recorder):
    ids = add_contacts(setup.tenant, 1, names=False, attrs=lambda i: {})
    lst = make_list(setup.tenant, ids)
    web = login_as(setup.tenant.admin, setup.tenant)
    form = _form(setup, lst, missing_value_policy="fallback",
                 **{"default-body-0": "cliente", "default-body-1": "BEMVINDO"})  # fmt: skip
    assert web.post("/campaigns/new", data=form).status_code == 302
    campaign = db.session.scalar(sa.select(Campaign))
    assert campaign.variables["defaults"] == {"body": ["cliente", "BEMVINDO"]}
    page = web.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Olá cliente, seu cupom é BEMVINDO!" in page
    assert web.post(f"/campaigns/{campaign.id}/start").status_code == 302
    [payload] = recorder.payloads
    params = [p["text"] for p in payload["template"]["components"][0]["parameters"]]
    assert params == ["cliente", "BEMVINDO"]  # not one default for both


def test_the_review_renders_a_sample_not_the_tokens(setup, login_as):
    lst = make_list(setup.tenant, add_contacts(setup.tenant, 2))
    web = login_as(setup.tenant.admin, setup.tenant)
    assert web.post("/campaigns/new", data=_form(setup, lst)).status_code == 302
    campaign = db.session.scalar(sa.select(Campaign))
    page = web.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "{{contact.cupom}}" not in page and "{{contact.name}}" not in page.split("<form")[0]
    assert "Olá Pessoa 0, seu cupom é C0!" in page and 'data-testid="review-sample"' in page


def test_agendar_says_when_in_local_time(setup, login_as):
    lst = make_list(setup.tenant, add_contacts(setup.tenant, 2))
    web = login_as(setup.tenant.admin, setup.tenant)
    when = (utcnow() + timedelta(days=2)).replace(hour=15, minute=30, second=0, microsecond=0)
    # 15:30 UTC is 12:30 in São Paulo (UTC-3, no daylight saving time since 2019)
    local = when - timedelta(hours=3)
    form = _form(setup, lst, start_mode="later", scheduled_at=local.strftime("%Y-%m-%dT%H:%M"))
    assert web.post("/campaigns/new", data=form).status_code == 302
    campaign = db.session.scalar(sa.select(Campaign))
    response = web.post(f"/campaigns/{campaign.id}/start", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert f"Campanha agendada para {local.strftime('%d/%m/%Y')} às 12:30" in page
    assert "Campanha iniciada" not in page
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == "SCHEDULED"
