"""Template sync benchmark: one client with N templates on a sandbox over loopback HTTP.

Usage:  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/clickpro_bench_tmpl \
        .venv/bin/python bench/template_sync.py [--templates 500] [--clients 2]

Creates N templates directly in the sandbox (outside ClickPro), then times: the first
sync (imports everything, paging Meta's list 100 at a time), a second sync (nothing
changed: must change 0 rows), and a sync after 10 % of the templates changed status on
Meta. A second client with its own sandbox account checks isolation. One figure per line.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _harness import figure, require_figures  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--templates", type=int, default=500)
    parser.add_argument(
        "--quick", action="store_true", help="a few seconds, tiny sizes, check figures"
    )
    args = parser.parse_args()
    if args.quick:
        args.templates = 30

    from clickpro import create_app
    from clickpro.crypto import encrypt, last4
    from clickpro.extensions import db
    from clickpro.models import Client, Notification, Template, WhatsAppCredential
    from clickpro.sandbox import SandboxServer
    from clickpro.services.templates.service import sync_templates

    database_url = os.environ.get("DATABASE_URL") or (
        f"sqlite:///{tempfile.mkdtemp()}/bench_templates.db"
    )
    sandbox = SandboxServer({"template_review_delay_s": 0.0, "webhook_delivery": "manual"})
    sandbox.start()
    app = create_app(
        {
            "CONFIG_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "META_GRAPH_URL": sandbox.graph_url,
            "SANDBOX_ENABLED": False,
        }
    )
    print(f"settings templates={args.templates} db={database_url.split('://')[0]}")
    state = sandbox.state
    with app.app_context():
        db.drop_all()
        if database_url.startswith("postgresql"):
            with db.engine.begin() as conn:  # contacts' trigram index needs it
                conn.execute(db.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        db.create_all()
        clients = []
        for n in range(2):
            account = state.create_account()
            tenant = Client(name=f"Bench {n}", slug=f"bench-tmpl-{n}")
            db.session.add(tenant)
            db.session.flush()
            db.session.add(
                WhatsAppCredential(
                    client_id=tenant.id,
                    access_token_enc=encrypt(account.access_token),
                    token_last4=last4(account.access_token),
                    waba_id=account.waba_id,
                    phone_number_id=account.phone_number_id,
                    app_id=account.app_id,
                    status="VALID",
                )
            )
            clients.append((tenant, account))
        db.session.commit()
        big, big_account = clients[0]
        small, small_account = clients[1]
        ids = []
        for i in range(args.templates):
            body, _ = state.templates.create(
                big_account,
                {
                    "name": f"modelo_{i:05d}",
                    "language": "pt_BR",
                    "category": "UTILITY",
                    "components": [{"type": "BODY", "text": f"Mensagem número {i} para você."}],
                },
            )
            ids.append(body["id"])
        state.templates.create(
            small_account,
            {
                "name": "do_outro",
                "language": "pt_BR",
                "category": "UTILITY",
                "components": [{"type": "BODY", "text": "Outro cliente, outra conta."}],
            },
        )

        def timed(label: str) -> None:
            started = time.perf_counter()
            result = sync_templates(big.id)
            elapsed = time.perf_counter() - started
            figure(f"{label}_s", f"{elapsed:.2f}")
            figure(f"{label}_created", f"{result.created}")
            figure(f"{label}_updated", f"{result.updated}")
            figure(f"{label}_errors", f"{len(result.errors)}")

        timed("first_sync_import")
        notes = db.session.scalar(db.select(db.func.count(Notification.id)))
        timed("second_sync_idempotent")
        after = db.session.scalar(db.select(db.func.count(Notification.id)))
        figure("second_sync_new_notifications", f"{after - notes}")
        for template_id in ids[: max(1, args.templates // 10)]:
            state.templates.set_status(template_id, "PAUSED")
        timed("sync_after_10pct_paused")
        other_rows = db.session.scalar(
            db.select(db.func.count(Template.id)).where(Template.client_id == small.id)
        )
        figure("other_client_rows_touched", f"{other_rows}")
    sandbox.stop()
    if args.quick:
        require_figures(("first_sync_import_s", "first_sync_import_created", "second_sync_idempotent_s",
                         "second_sync_new_notifications", "sync_after_10pct_paused_s",
                         "other_client_rows_touched"))  # fmt: skip


if __name__ == "__main__":
    main()
