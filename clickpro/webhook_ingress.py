"""The webhook ingress: Meta's ``/webhook`` calls served by a process of their own.

Status webhooks arrive at about three times a campaign's send rate, so the ack is the
platform's hottest request. Under gunicorn's gevent worker an HTTP request costs about
0.19 ms of CPU before any application code runs (a do-nothing WSGI app, measured in
``bench/README.md``); under Granian (HTTP parsed in Rust, the WSGI app called from a pool
of threads) about 0.035 ms. ``clickpro webhook-server`` runs this app under Granian: put
it beside the web process and route ``/webhook`` to it at the proxy (``docs/scaling.md``).

It is the same Flask app and the same ack (``blueprints/webhook/fastpath.py``: capped
read, HMAC, depth check, group commit before the 200, hand-off to the webhooks queue);
the pool's threads are what let concurrent acks share one commit. Only ``/webhook`` and
``/healthz`` are served: everything else answers 404, so the inbox, the API and
Socket.IO stay on the web process and this port exposes nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask

SERVED_PATHS = frozenset({"/webhook", "/healthz"})
_NOT_FOUND = b"Not found"


def ingress(app: Flask) -> Callable[[dict, Callable], Iterable[bytes]]:
    """``app`` limited to :data:`SERVED_PATHS` (a WSGI callable)."""

    def serve(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") in SERVED_PATHS:
            return app(environ, start_response)
        start_response(
            "404 NOT FOUND",
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "9")],
        )
        return [_NOT_FOUND]

    return serve


def create_ingress() -> Callable[[dict, Callable], Iterable[bytes]]:
    """Granian's factory target (``clickpro.webhook_ingress:create_ingress``): one app
    per worker process, built from the environment like ``wsgi.py``."""
    from clickpro import create_app

    return ingress(create_app())
