"""The dashboard's today numbers and 30-day sparklines (pt_BR words)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from report_seed import add_message

from clickpro.extensions import db
from clickpro.models import Message
from clickpro.models.base import utcnow
from clickpro.services.reports import rollups
from clickpro.services.reports.sparklines import sparklines_for


def test_today_is_live_and_history_comes_from_the_rollup(world, login_as):
    c1 = world.contacts[0]
    now = utcnow()
    # 3 days ago: 2 inbound (rolled up); today: 1 inbound + 1 AI reply (not rolled up yet)
    for _ in range(2):
        add_message(world.tenant, c1, world.n1, created_at=now - timedelta(days=3))
    rollups.run()
    add_message(world.tenant, c1, world.n1, created_at=now)
    add_message(world.tenant, c1, world.n1, direction="OUT", author="AI", created_at=now)
    lines = {line.key: line for line in sparklines_for(world.tenant)}
    assert len(lines["msgs_in"].values) == 30
    assert lines["msgs_in"].today == 1 and lines["msgs_in"].values[-1] == 1
    assert lines["msgs_in"].values[-4] == 2
    assert lines["out_ai"].today == 1
    assert lines["msgs_in"].words == (
        "Hoje: 1 mensagem recebida. Média de 0 por dia nos 30 dias anteriores."
    )
    assert lines["out_ai"].words.startswith("Hoje: 1 resposta da IA.")
    page = login_as(world.tenant.admin, world.tenant).get("/")
    html = page.get_data(as_text=True)
    assert 'data-testid="today-msgs_in">1<' in html
    assert "<polyline" in html and "Hoje: 1 mensagem recebida." in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) > 0


def test_sparkline_points_scale_to_the_box(world):
    line = sparklines_for(world.tenant)[0]
    line.values = [0] * 29 + [10]
    first, *_, last = line.points.split()
    assert first == "0.0,30.0" and last == "120.0,2.0"
