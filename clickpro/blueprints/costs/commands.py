"""``clickpro rates …``: load and list rate cards from the command line (super admin)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from clickpro.extensions import db
from clickpro.models import Client, RateCard
from clickpro.services.costs.cards import ensure_default_card
from clickpro.services.costs.loading import (
    CardSpec,
    RateCardError,
    load_card,
    parse_day,
    parse_rates,
)


@click.group("rates")
def rates_group() -> None:
    """Rate cards: what each message costs (by category and market)."""


@rates_group.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", required=True, help="card name shown on reports")
@click.option("--currency", required=True, help="ISO code: BRL, USD")
@click.option("--valid-from", "valid_from", required=True, help="YYYY-MM-DD (UTC)")
@click.option("--valid-to", "valid_to", default=None, help="YYYY-MM-DD (UTC), optional")
@click.option("--source", default="", help="where the prices come from")
@click.option("--source-date", "source_date", default=None, help="YYYY-MM-DD of the source")
@click.option("--client", "client_slug", default=None, help="a client's slug: its resale card")
@click.option("--markup", default="0", help="percent added to every price")
@with_appcontext
def load_command(
    path: str,
    name: str,
    currency: str,
    valid_from: str,
    valid_to: str | None,
    source: str,
    source_date: str | None,
    client_slug: str | None,
    markup: str,
) -> None:
    """Load a card from a CSV (category,market,price). A card never rewrites past costs."""
    try:
        client_id = None
        if client_slug:
            client_id = db.session.scalar(sa.select(Client.id).where(Client.slug == client_slug))
            if client_id is None:
                raise RateCardError(f"no client with slug {client_slug!r}")
        try:
            markup_pct = Decimal(markup.replace(",", "."))
        except InvalidOperation:
            raise RateCardError(f"--markup: not a number: {markup!r}") from None
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
        rates = parse_rates(text) if text.strip() else None
        start = parse_day(valid_from, field="--valid-from")
        assert start is not None
        day = parse_day(source_date, field="--source-date")
        spec = CardSpec(
            name=name,
            currency=currency,
            valid_from=start,
            valid_to=parse_day(valid_to, field="--valid-to"),
            source=source,
            source_date=day.date() if day else None,
            client_id=client_id,
            markup_pct=markup_pct,
        )
        card = load_card(spec, rates)
    except RateCardError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"card {card.id} loaded: {len(rates or {})} price(s), {card.currency}")


@rates_group.command("list")
@with_appcontext
def list_command() -> None:
    """Every card, newest first (the platform default is seeded if none exists)."""
    ensure_default_card()
    db.session.commit()
    cards = db.session.scalars(sa.select(RateCard).order_by(RateCard.valid_from.desc()))
    for card in cards:
        owner = f"client {card.client_id}" if card.client_id else "platform"
        until = card.valid_to.date().isoformat() if card.valid_to else "…"
        click.echo(
            f"{card.id}\t{owner}\t{card.currency}\t{card.valid_from.date().isoformat()}–{until}"
            f"\t{card.name}"
        )
