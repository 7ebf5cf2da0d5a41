"""The ``clickpro`` commands, attached to every app's ``app.cli`` by the factory.

The console entry point that builds the app (``clickpro ...``) is ``clickpro.__main__``:
it imports the factory, which imports this module, so the two cannot be one module.
"""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from clickpro.extensions import current_app_object, db


def init_cli(app: Flask) -> None:
    """Attach the commands to ``app.cli`` too, so ``flask --app wsgi <cmd>`` works."""
    for command in COMMANDS:
        app.cli.add_command(command)


def check_services(app: Flask) -> None:
    """Fail with one clear line when the database or Redis cannot be reached."""
    import sqlalchemy as sa

    from clickpro.tasks import redis_connection

    try:
        with app.app_context():
            db.session.execute(sa.text("SELECT 1"))
    except Exception as exc:
        url = db.engine.url.render_as_string(hide_password=True) if db else "?"
        raise click.ClickException(
            f"database unreachable at {url} ({type(exc).__name__}): start it or fix DATABASE_URL"
        ) from None
    try:
        redis_connection(app).ping()
    except Exception as exc:
        raise click.ClickException(
            f"Redis unreachable at {app.config['REDIS_URL']} ({type(exc).__name__}): "
            "start it or fix REDIS_URL"
        ) from None


@click.command("create-superadmin")
@click.option("--email", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def create_superadmin(email: str, password: str) -> None:
    """Create (or promote and reset) a platform super admin."""
    from clickpro.services.accounts.service import AccountError, ensure_super_admin

    try:
        user, created = ensure_super_admin(email, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'created' if created else 'updated'} super admin {user.email}")


@click.command("create-client")
@click.option("--name", required=True)
@click.option("--admin-email", required=True)
@click.option("--admin-password", required=True)
@click.option(
    "--timezone", default="America/Sao_Paulo", show_default=True, help="An IANA time zone name."
)
@click.option("--slug", default=None, help="2-80 of a-z, 0-9 and '-' (default: from the name).")
@with_appcontext
def create_client_command(
    name: str, admin_email: str, admin_password: str, timezone: str, slug: str | None
) -> None:
    """Create a client and its first CLIENT_ADMIN (idempotent); prints the slug.

    Name, slug and time zone obey the same rules as Flask-Admin
    (``clickpro.services.accounts.validation``)."""
    from clickpro.services.accounts.service import AccountError, create_client
    from clickpro.services.accounts.validation import InvalidValue

    try:
        client, _created = create_client(
            name, admin_email, admin_password, timezone=timezone, slug=slug
        )
    except InvalidValue as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{exc.field}") from None
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(client.slug)


@click.command("create-api-token")
@click.option("--client", "client_slug", required=True, help="The client's slug.")
@click.option("--name", required=True, help="A name to recognise the token by.")
@with_appcontext
def create_api_token_command(client_slug: str, name: str) -> None:
    """Create an API token for a client and print it (shown only this once)."""
    from clickpro.services.api.tokens import ApiTokenError, client_by_slug, create_token

    client = client_by_slug(client_slug)
    if client is None:
        raise click.ClickException(f"no client with slug {client_slug!r}")
    try:
        _token, raw = create_token(client.id, name)
    except ApiTokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(raw)


@click.command("generate-key")
def generate_key_command() -> None:
    """Print a new Fernet key for CLICKPRO_ENCRYPTION_KEYS."""
    from clickpro.crypto import generate_key

    click.echo(generate_key())


def parse_queues(values: tuple[str, ...], known: tuple[str, ...]) -> tuple[str, ...]:
    """``-q webhooks,ai -q imports`` → ("webhooks", "ai", "imports"); an unknown name stops
    the worker (a typo would otherwise leave it listening on a queue nobody fills)."""
    names = tuple(dict.fromkeys(n.strip() for v in values for n in v.split(",") if n.strip()))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise click.BadParameter(
            f"unknown queue(s) {', '.join(unknown)}; known: {', '.join(known)}",
            param_hint="--queues",
        )
    return names


@click.command("worker")
@click.option(
    "--queues",
    "-q",
    multiple=True,
    help="Queues to listen on, comma-separated or repeated (default: all, by priority).",
)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker_command(queues: tuple[str, ...], burst: bool) -> None:
    """Run an RQ worker against REDIS_URL."""
    from clickpro.tasks import ALL_QUEUES, bind_forked_children_to_worker, make_worker

    queues = parse_queues(queues, ALL_QUEUES)
    app = current_app_object()
    if not app.config["REDIS_URL"]:
        raise click.ClickException(
            "REDIS_URL is not set: `clickpro run` already runs workers in-process; "
            "separate workers need a real Redis."
        )
    check_services(app)
    worker = make_worker(app, queues or ALL_QUEUES)
    bind_forked_children_to_worker()
    worker.work(burst=burst, with_scheduler=True)


@click.command("webhook-server")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes."
)
@click.option(
    "--threads",
    default=32,
    show_default=True,
    type=click.IntRange(1, 1024),
    help="Threads per process: the acks in flight at once, which share a commit.",
)
@with_appcontext
def webhook_server_command(host: str, port: int, workers: int, threads: int) -> None:
    """Serve only /webhook (and /healthz) under Granian: the ingress for Meta's calls,
    beside the web process (see clickpro/webhook_ingress.py and docs/scaling.md)."""
    from granian import Granian
    from granian.constants import Interfaces, RuntimeModes

    app = current_app_object()
    if not app.config["REDIS_URL"]:
        raise click.ClickException(
            "REDIS_URL is not set: the webhook ingress hands events to workers through Redis."
        )
    check_services(app)
    click.echo(f"ClickPro webhook ingress at http://{host}:{port}/webhook")
    Granian(
        "clickpro.webhook_ingress:create_ingress",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        factory=True,
        workers=workers,
        blocking_threads=threads,
        # One Rust thread doing the HTTP for the pool (WSGI's "auto" picks the
        # multi-threaded runtime: ~10-25 % more CPU per ack on bench/webhook.py).
        runtime_mode=RuntimeModes.st,
        log_access=False,
        respawn_failed_workers=True,
    ).serve()


@click.command("scheduler")
@click.option("--interval", default=5.0, show_default=True)
@with_appcontext
def scheduler_command(interval: float) -> None:
    """Run rq-scheduler: periodic jobs (template sync, campaign watchdog...), re-reconciled
    every SCHEDULER_RECONCILE_INTERVAL_S so a Redis flush never loses them."""
    from clickpro.tasks.schedule import make_scheduler

    app = current_app_object()
    if not app.config["REDIS_URL"]:
        raise click.ClickException("REDIS_URL is not set: the scheduler needs a real Redis.")
    check_services(app)
    scheduler = make_scheduler(app, interval=interval)
    scheduler.reconcile_now()  # and again every SCHEDULER_RECONCILE_INTERVAL_S while running
    scheduler.run()


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-demo", is_flag=True, help="Do not seed the demo client.")
@with_appcontext
def run_command(host: str, port: int, no_demo: bool) -> None:
    """Run everything in one process: web, Socket.IO, workers, scheduler, sandbox."""
    from flask_migrate import upgrade

    from clickpro.extensions import socketio

    app = current_app_object()
    check_services(app)
    upgrade(directory=app.extensions["migrate"].directory)
    demo = None
    if not no_demo:
        from clickpro.services.demo import seed_demo

        demo = seed_demo()
    if app.config["EMBEDDED"]:
        from clickpro.embedded import start_embedded_runtime

        start_embedded_runtime(app)
    click.echo(f"ClickPro at http://{host}:{port}/")
    if demo:
        click.echo(f"demo login: {demo.email} / {demo.password}")
        if demo.super_email:
            click.echo(f"super admin: {demo.super_email} / {demo.password} (/admin/)")
    # Flask's CLI marks itself so app.run() becomes a no-op; this command IS the server.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False)


@click.command("rotate-keys")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100000))
@with_appcontext
def rotate_keys_command(batch_size: int) -> None:
    """Re-encrypt every stored secret under the first key of CLICKPRO_ENCRYPTION_KEYS."""
    from clickpro.crypto import EncryptionConfigError
    from clickpro.services.credentials import rotate_all_secrets

    try:
        count = rotate_all_secrets(batch_size=batch_size)
    except EncryptionConfigError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{count} secret(s) re-encrypted with the first key")


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5055, show_default=True, type=int)
@click.option("--webhook-url", default=None, help="Where to POST webhooks (our /webhook).")
@click.option("--app-secret", default=None, help="Secret that signs the webhooks.")
@click.option("--review-delay", default=None, type=float, help="Template review delay (s).")
@click.option("--access-log", is_flag=True, help="Log every request.")
def sandbox_command(
    host: str,
    port: int,
    webhook_url: str | None,
    app_secret: str | None,
    review_delay: float | None,
    access_log: bool,
) -> None:
    """Run the fake Meta + OpenAI APIs standalone (point META_GRAPH_URL/OPENAI_BASE_URL here)."""
    from clickpro.sandbox import run_sandbox

    settings: dict = {}
    if webhook_url:
        settings["webhook_url"] = webhook_url
    if app_secret:
        settings["app_secret"] = app_secret
    if review_delay is not None:
        settings["template_review_delay_s"] = review_delay
    run_sandbox(host, port, settings, access_log=access_log)


@click.command("config")
@with_appcontext
def config_command() -> None:
    """Print the effective settings, one NAME=value a line (JSON values, secrets masked).

    Any of them can be set as CLICKPRO_<NAME> (JSON: 30 is a number); the env contract
    names (DATABASE_URL, REDIS_URL, SECRET_KEY, META_*...) work too.
    """
    from clickpro.config import describe

    for line in describe(current_app.config):
        click.echo(line)


from clickpro.blueprints.costs.commands import rates_group  # noqa: E402

COMMANDS = [
    create_superadmin,
    create_client_command,
    create_api_token_command,
    generate_key_command,
    worker_command,
    scheduler_command,
    webhook_server_command,
    run_command,
    rotate_keys_command,
    sandbox_command,
    config_command,
    rates_group,
]
