"""gunicorn settings for ClickPro's web process: ``gunicorn -c config/gunicorn.conf.py wsgi:app``.

Flask-SocketIO runs in threading mode (simple-websocket), so each gunicorn process is ONE
gthread worker with many threads: Socket.IO long-polling needs every request of a session
to reach the same process. To scale out, run more gunicorn processes (or machines) behind
a load balancer with sticky sessions; they share events through Redis (REDIS_URL).

Before any worker starts, ``on_starting`` checks the database and Redis and stops with a
one-line error that says which is unreachable and how to fix it.
"""

from __future__ import annotations

import os
import sys

bind = os.environ.get("CLICKPRO_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = 1  # Socket.IO threading mode: one worker per process (see the docstring)
threads = int(os.environ.get("CLICKPRO_THREADS", "32"))
timeout = int(os.environ.get("CLICKPRO_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
accesslog = os.environ.get("CLICKPRO_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("CLICKPRO_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def check_dependencies() -> str | None:
    """None when the settings are valid and the database and Redis answer, else one line."""
    from click import ClickException

    from clickpro import ConfigurationError, create_app
    from clickpro.cli import check_services

    try:
        app = create_app()
        with app.app_context():
            check_services(app)
    except ConfigurationError as exc:
        return f"clickpro: {exc}"
    except ClickException as exc:
        return f"clickpro: {exc.format_message()}"
    return None


def on_starting(server) -> None:
    problem = check_dependencies()
    if problem:
        print(problem, file=sys.stderr, flush=True)
        sys.exit(1)
