"""/api/v1 costs (``services.costs``): what the client's delivered messages cost."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field

from clickpro.blueprints.api.auth import Caller
from clickpro.blueprints.api.registry import invalid, operation
from clickpro.services.costs.reports import costs_by

T = "costs"
MAX_DAYS = 400


class CostQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date = Field(alias="from", description="First day (UTC), YYYY-MM-DD.")
    to: date = Field(description="Last day (UTC), inclusive, YYYY-MM-DD.")
    group_by: Literal["day", "campaign", "number", "category"] = "day"


class CostGroup(BaseModel):
    key: str = Field(description="Day, campaign id, phone_number_id or pricing category.")
    label: str = Field(description="Campaign name (campaign), else the key.")
    currency: str | None
    amount: float = Field(description="Cost of the charged messages, in ``currency``.")
    charged: int = Field(description="Delivered messages with a price.")
    free: int = Field(description="Delivered messages that cost nothing (free windows).")
    unpriced: int = Field(description="Delivered messages whose market is not on the card.")


class CostReport(BaseModel):
    group_by: str
    start: date = Field(description="First day (the query's ``from``).")
    end: date = Field(description="Last day, inclusive (the query's ``to``).")
    data: list[CostGroup]


@operation("/costs", "GET", summary="Costs of delivered messages", tag=T, query=CostQuery,
           response=CostReport, errors=(422,))  # fmt: skip
def list_costs(caller: Caller, query: CostQuery):
    """Messages are charged when delivered, at the price of the card valid at that time."""
    if query.to < query.from_:
        raise invalid({"to": [_("O fim deve ser depois do início.")]}, _("Período inválido."))
    if (query.to - query.from_).days > MAX_DAYS:
        raise invalid({"to": [_("No máximo %(n)s dias.", n=MAX_DAYS)]}, _("Período inválido."))
    start = datetime(query.from_.year, query.from_.month, query.from_.day, tzinfo=UTC)
    end = datetime(query.to.year, query.to.month, query.to.day, tzinfo=UTC) + timedelta(days=1)
    rows = costs_by(caller.client_id, start, end, query.group_by)
    return CostReport(
        group_by=query.group_by,
        start=query.from_,
        end=query.to,
        data=[
            CostGroup(
                key=row.key,
                label=row.label,
                currency=row.currency,
                amount=float(round(row.amount, 6)),
                charged=row.charged,
                free=row.free,
                unpriced=row.unpriced,
            )
            for row in rows
        ],
    )
