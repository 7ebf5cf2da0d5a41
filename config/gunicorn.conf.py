"""gunicorn settings for ClickPro's web process: ``gunicorn -c config/gunicorn.conf.py wsgi:app``.

ONE gevent worker per process: every request and every Socket.IO connection is a
greenlet, so thousands of idle WebSocket connections cost memory, not threads, and never
hold up ``/login``, ``/healthz`` or the webhook acks. Flask-SocketIO runs in ``gevent``
mode with simple-websocket (``clickpro.realtime.async_mode`` sees the patched process).
Socket.IO long-polling needs every request of a session to reach the same process, so
to scale out run more gunicorn processes (or machines) behind a load balancer with
sticky sessions; they share events through Redis (REDIS_URL).

The standard library is monkey-patched first thing in ``on_starting``, in the master,
before ``check_dependencies`` imports psycopg (which picks its wait function at import:
a patched ``select`` means a cooperative wait) and redis; the workers fork from the
master and so inherit the patched modules (gunicorn's gevent worker patches again,
harmlessly).

Before any worker starts, ``on_starting`` checks the database and Redis and stops with a
one-line error that says which is unreachable and how to fix it.
"""

from __future__ import annotations

import os
import resource
import sys

bind = os.environ.get("CLICKPRO_BIND", "0.0.0.0:8000")
worker_class = "gevent"
workers = 1  # Socket.IO needs sticky sessions: one worker per process (see the docstring)
# Simultaneous connections (idle sockets included) one worker accepts.
worker_connections = int(os.environ.get("CLICKPRO_WORKER_CONNECTIONS", "10000"))
timeout = int(os.environ.get("CLICKPRO_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
accesslog = os.environ.get("CLICKPRO_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("CLICKPRO_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def raise_open_files_limit(wanted: int) -> int:
    """Each connection is a file descriptor: lift the soft limit towards ``wanted`` (never
    above the hard limit). Returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


raise_open_files_limit(worker_connections + 256)


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


def patch_for_gevent() -> None:
    from gevent import monkey

    monkey.patch_all()


def on_starting(server) -> None:
    if server is not None and worker_class == "gevent":  # None: a test calling the hook
        patch_for_gevent()
    problem = check_dependencies()
    if problem:
        print(problem, file=sys.stderr, flush=True)
        sys.exit(1)


def child_exit(server, worker) -> None:
    """/metrics in multi-process mode: a dead process's live gauges stop counting."""
    from clickpro.metrics import mark_process_dead

    mark_process_dead(worker.pid)
