"""The sync: import, status changes through the shared path, idempotence, isolation."""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.models import Notification, Template
from clickpro.services.templates.service import sync_templates
from clickpro.tasks import get_queue
from clickpro.tasks.templates import client_job_id, sync_all_clients

DEFAULT_WABA = "100000000000001"


def _count(db, model, **filters) -> int:
    stmt = sa.select(sa.func.count(model.id))
    for key, value in filters.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.session.scalar(stmt)


def test_imports_templates_created_outside_clickpro(tenant, db, create_on_meta, sandbox):
    first = create_on_meta("boleto_vencendo")
    create_on_meta("boleto_vencendo", language="en_US")
    create_on_meta("reject_golpe")
    result = sync_templates(tenant.id)
    assert (result.created, result.updated, result.errors) == (3, 0, [])
    rows = {(t.name, t.language): t for t in db.session.scalars(sa.select(Template))}
    assert set(rows) == {
        ("boleto_vencendo", "pt_BR"),
        ("boleto_vencendo", "en_US"),
        ("reject_golpe", "pt_BR"),
    }
    imported = rows[("boleto_vencendo", "pt_BR")]
    assert imported.client_id == tenant.id
    assert imported.meta_template_id == first
    assert imported.status == "APPROVED"  # review delay 0 in the test sandbox
    assert imported.components[0]["type"] == "BODY"
    assert rows[("reject_golpe", "pt_BR")].status == "REJECTED"
    assert rows[("reject_golpe", "pt_BR")].rejected_reason == "INVALID_FORMAT"
    # one summary notification for the import, not one per template
    assert _count(db, Notification, kind="templates_imported") == 1


def test_second_run_changes_nothing(admin_web, tenant, db, create_on_meta):
    create_on_meta("aviso_entrega")
    admin_web.post(
        "/templates/new",
        data={
            "name": "pedido_pronto",
            "language": "pt_BR",
            "category": "UTILITY",
            "header_format": "NONE",
            "body_text": "Seu pedido está pronto para retirada na loja.",
        },
    )
    first = sync_templates(tenant.id)
    assert first.created == 1 and first.updated == 1  # imported + PENDING→APPROVED
    notes = _count(db, Notification)
    second = sync_templates(tenant.id)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert second.errors == []
    assert _count(db, Notification) == notes


def test_status_change_on_meta_goes_through_apply_template_update(
    tenant, db, create_on_meta, sandbox
):
    template_id = create_on_meta("cobranca_mensal")
    sync_templates(tenant.id)
    sandbox.templates.set_status(template_id, "PAUSED")
    result = sync_templates(tenant.id)
    assert result.updated == 1
    row = db.session.scalar(sa.select(Template))
    assert row.status == "PAUSED"
    notes = list(
        db.session.scalars(sa.select(Notification).where(Notification.kind == "template_status"))
    )
    assert len(notes) == 1 and "cobranca_mensal" in notes[0].text


def test_components_edited_on_meta_are_refreshed(tenant, db, create_on_meta, sandbox):
    template_id = create_on_meta("texto_mutante")
    sync_templates(tenant.id)
    stored = sandbox.templates._items[template_id]
    stored["components"] = [{"type": "BODY", "text": "Texto novo editado no gerenciador da Meta."}]
    result = sync_templates(tenant.id)
    assert result.updated == 1
    assert db.session.scalar(sa.select(Template)).components[0]["text"].startswith("Texto novo")


def test_template_gone_from_meta_is_marked_deleted(tenant, db, create_template, create_on_meta):
    create_on_meta("ainda_existe")
    create_template(tenant, name="apagado_na_meta", meta_template_id="999", status="APPROVED")
    result = sync_templates(tenant.id)
    gone = db.session.scalar(sa.select(Template).where(Template.name == "apagado_na_meta"))
    assert gone.status == "DELETED"
    assert result.updated == 1 and result.created == 1


def test_one_clients_sync_never_touches_another(
    create_client, create_whatsapp_credential, sandbox_account, create_template, create_on_meta, db
):
    a, b = create_client("A"), create_client("B")
    account_b = sandbox_account()
    create_whatsapp_credential(a)
    create_whatsapp_credential(b, account_b)
    create_on_meta("so_do_a")
    create_on_meta("so_do_b", waba_id=account_b["waba_id"])
    # B has a local row with the same name as one of A's Meta templates
    b_row = create_template(b, name="so_do_a", status="PENDING", meta_template_id=None)
    result = sync_templates(a.id)
    assert result.created == 1
    db.session.expire_all()
    assert (
        b_row.status == "PENDING"
        and b_row.meta_template_id is None
        and b_row.last_synced_at is None
    )
    assert _count(db, Template, client_id=b.id) == 1
    assert _count(db, Notification, client_id=b.id) == 0
    sync_templates(b.id)
    names_b = set(db.session.scalars(sa.select(Template.name).where(Template.client_id == b.id)))
    assert names_b == {"so_do_a", "so_do_b"}
    db.session.expire_all()
    # B's local so_do_a is not on B's WABA: it never had a Meta id, so it is left alone
    assert b_row.status == "PENDING"
    names_a = set(db.session.scalars(sa.select(Template.name).where(Template.client_id == a.id)))
    assert names_a == {"so_do_a"}


def test_client_without_credentials_is_skipped(create_client, sandbox):
    tenant = create_client()
    result = sync_templates(tenant.id)
    assert result.skipped and result.changed == 0 and result.errors == []


def test_meta_error_is_recorded_not_raised(tenant, sandbox, db, caplog):
    sandbox.revoke_token("sandbox-token")
    result = sync_templates(tenant.id)
    assert not result.complete
    assert result.errors and "Meta" in result.errors[0]
    assert "template sync of client" in caplog.text


def test_row_limit_and_paging(tenant, db, create_on_meta):
    for i in range(105):  # more than one page of Meta's list (limit=100)
        create_on_meta(f"modelo_{i:03d}")
    partial = sync_templates(tenant.id, max_templates=5)
    assert partial.created == 5 and not partial.complete and partial.errors
    full = sync_templates(tenant.id)
    assert full.created == 100 and full.complete
    assert _count(db, Template) == 105


def test_sync_all_clients_runs_one_job_per_client(
    app, create_client, create_whatsapp_credential, sandbox_account, create_on_meta, db
):
    a, b, no_creds = create_client("A"), create_client("B"), create_client("C")
    account_b = sandbox_account()
    create_whatsapp_credential(a)
    create_whatsapp_credential(b, account_b)
    create_on_meta("do_a")
    create_on_meta("do_b", waba_id=account_b["waba_id"])
    assert sync_all_clients() == 2  # RQ_ASYNC=False: each job runs right away
    assert _count(db, Template, client_id=a.id) == 1
    assert _count(db, Template, client_id=b.id) == 1
    assert _count(db, Template, client_id=no_creds.id) == 0


def test_a_client_is_never_queued_twice(app, tenant):
    app.config["RQ_ASYNC"] = True  # only queue (no worker runs in this test)
    queue = get_queue("periodic")
    queue.empty()
    sync_all_clients()
    sync_all_clients()
    assert queue.job_ids == [client_job_id(tenant.id)]
    queue.empty()


def test_periodic_job_runs_through_scheduler_and_worker(app, tenant, db, create_on_meta):
    """rq-scheduler → sync_all_clients → per-client job → rows imported (embedded worker)."""
    from clickpro.tasks import make_worker
    from clickpro.tasks.schedule import make_scheduler, reconcile

    create_on_meta("via_agendador")
    app.config["RQ_ASYNC"] = True
    get_queue("periodic").empty()
    scheduler = make_scheduler(app)
    reconcile(app, scheduler)
    assert "periodic-templates-sync_all" in {job.id for job in scheduler.get_jobs()}
    scheduler.enqueue_jobs()  # due now
    worker = make_worker(app, ("periodic",), embedded=True)
    worker.work(burst=True)  # runs sync_all_clients, then the client's job it enqueued
    db.session.expire_all()
    names = set(db.session.scalars(sa.select(Template.name).where(Template.client_id == tenant.id)))
    assert names == {"via_agendador"}
    for job in scheduler.get_jobs():
        scheduler.cancel(job)


def test_import_collision_keeps_the_rest_of_the_batch(
    tenant, db, create_on_meta, create_template, monkeypatch
):
    """A row stored meanwhile (webhook, form) makes one insert fail, not the batch."""
    from clickpro.services.templates import sync as template_sync

    create_on_meta("chegou_antes")
    create_on_meta("importar_1")
    create_on_meta("importar_2")
    # stored by the form/webhook of the same WABA (every new row carries its WABA)
    create_template(tenant, name="chegou_antes", status="PENDING", waba_id=DEFAULT_WABA)
    monkeypatch.setattr(template_sync._ReconcileIndex, "find", lambda self, remote: None)
    result = sync_templates(tenant.id)
    assert result.created == 2
    assert len(result.errors) == 1 and "chegou_antes" in result.errors[0]
    names = set(db.session.scalars(sa.select(Template.name)))
    assert names == {"chegou_antes", "importar_1", "importar_2"}
