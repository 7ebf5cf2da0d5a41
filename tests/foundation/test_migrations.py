"""The single Alembic chain: upgrade from empty to head, downgrade to base, and no
difference between the models and the migrations (on SQLite and on PostgreSQL).

These fail on purpose when a model changes without the migration being regenerated
(``scripts/regenerate_initial_migration.sh``).
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from clickpro.config import normalize_database_url
from clickpro.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def _throwaway_postgres(suffix: str) -> str:
    url = sa.engine.make_url(normalize_database_url(TEST_DATABASE_URL))
    name = f"{url.database}_{suffix}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_postgres(url: str) -> None:
    parsed = sa.engine.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            not (TEST_DATABASE_URL or "").startswith("postgres"),
            reason="TEST_DATABASE_URL is not a PostgreSQL URL",
        ),
    ),
]


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    url = _throwaway_postgres("mig")
    yield url
    _drop_postgres(url)


def _tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_upgrade_head_matches_models_and_downgrades_to_base(make_app, empty_database):
    app = make_app(SQLALCHEMY_DATABASE_URI=empty_database)
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory)
        engine = db.engine
        model_tables = {t.name for t in db.metadata.sorted_tables}
        assert model_tables <= _tables(engine)

        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], (
            "models and migrations differ; run scripts/regenerate_initial_migration.sh:\n"
            + "\n".join(map(str, diff))
        )

        downgrade(directory=directory, revision="base")
        assert _tables(engine) - {"alembic_version"} == set()
        db.session.remove()
        engine.dispose()


def test_single_chain_without_clickpro_imports(app):
    """One head, one base, and no migration imports the (changing) application code."""
    from alembic.script import ScriptDirectory
    from flask_migrate import Config

    directory = app.extensions["migrate"].directory
    config = Config(os.path.join(directory, "alembic.ini"))
    config.set_main_option("script_location", directory)
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1
    for revision in script.walk_revisions():
        with open(revision.path, encoding="utf-8") as fh:
            assert "clickpro" not in fh.read(), revision.path
