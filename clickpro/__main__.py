"""The ``clickpro`` console command (also ``python -m clickpro``): a FlaskGroup over the
factory, with the commands of ``clickpro.cli``."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, routes_command, shell_command

from clickpro import ConfigurationError, create_app
from clickpro.cli import COMMANDS


def _create_app() -> Flask:
    try:
        return create_app()
    except ConfigurationError as exc:
        click.echo(f"clickpro: {exc}", err=True)
        sys.exit(2)


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """ClickPro — WhatsApp Business platform."""


main.add_command(shell_command)
main.add_command(routes_command)
for _command in COMMANDS:
    main.add_command(_command)

if __name__ == "__main__":
    main()
