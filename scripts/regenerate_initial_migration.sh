#!/usr/bin/env bash
# Regenerate THE single initial migration (migrations/versions/*) from the models.
#
#   scripts/regenerate_initial_migration.sh ["message"]
#
# Autogenerates against an empty, throwaway SQLite database with a minimal app (only the
# database and Flask-Migrate, so a half-finished blueprint cannot get in the way), checks
# the result imports nothing from clickpro, then upgrades and downgrades it once.
# migrations/env.py renders UTCDateTime and JSONType portably, so the same file runs on
# SQLite and PostgreSQL. Afterwards: .venv/bin/pytest tests/foundation/test_migrations.py
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
MESSAGE="${1:-initial schema}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WORK/old" migrations/versions
find migrations/versions -maxdepth 1 -name '*.py' -exec mv {} "$WORK/old/" \;
restore() {
  find migrations/versions -maxdepth 1 -name '*.py' -delete
  find "$WORK/old" -maxdepth 1 -name '*.py' -exec mv {} migrations/versions/ \;
  echo "regenerate_initial_migration: $1; the previous revision is back." >&2
  exit 1
}

if ! "$PY" - "$WORK" "$MESSAGE" <<'PY'
import sys
from pathlib import Path

import flask_migrate
from flask import Flask

import clickpro.models  # noqa: F401  (every table on the metadata)
from clickpro import MIGRATIONS_DIR
from clickpro.extensions import db, migrate

work, message = Path(sys.argv[1]), sys.argv[2]


def minimal_app(database: Path) -> Flask:
    app = Flask("clickpro_migrations")
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    return app


with minimal_app(work / "empty.db").app_context():
    flask_migrate.migrate(directory=str(MIGRATIONS_DIR), message=message)
revisions = sorted((MIGRATIONS_DIR / "versions").glob("*.py"))
if len(revisions) != 1:
    sys.exit(f"expected one revision, found {len(revisions)}")
text = revisions[0].read_text()
if "clickpro" in text:
    sys.exit(f"{revisions[0]} references clickpro: fix render_item in migrations/env.py")
with minimal_app(work / "check.db").app_context():
    flask_migrate.upgrade(directory=str(MIGRATIONS_DIR))
    flask_migrate.downgrade(directory=str(MIGRATIONS_DIR), revision="base")
print(f"regenerated {revisions[0].relative_to(MIGRATIONS_DIR.parent)}")
PY
then
  restore "generation failed (see above)"
fi
