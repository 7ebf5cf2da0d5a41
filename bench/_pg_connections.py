"""The most PostgreSQL connections a bench's processes held at once (``pg_stat_activity``).

Issue #24 caps the whole platform at 50 connections: each bench samples the client
backends connected to its own database every 0.2 s and prints the maximum it saw
(``pg_connections_max``). The sampler's own connection is not counted.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa

_COUNT = sa.text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = :db "
    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
)


class PgConnectionSampler:
    """``with PgConnectionSampler(url) as s: ...`` then ``s.max`` (None if never sampled)."""

    def __init__(self, database_url: str, every_s: float = 0.2) -> None:
        from clickpro.config import normalize_database_url

        self.url = sa.engine.make_url(normalize_database_url(database_url))
        self.every_s = every_s
        self.max: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-sampler", daemon=True)

    def __enter__(self) -> PgConnectionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        engine = sa.create_engine(self.url.set(database="postgres"), poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                while not self._stop.is_set():
                    n = int(conn.scalar(_COUNT, {"db": self.url.database}) or 0)
                    self.max = n if self.max is None else max(self.max, n)
                    conn.commit()
                    self._stop.wait(self.every_s)
        finally:
            engine.dispose()
