"""Template sync: pull the templates of every WABA of a client and reconcile the local rows.

- Per WABA: the distinct WABAs of the client's active numbers (``templates.wabas``), each
  listed with the token of one of its own numbers; a row belongs to one WABA
  (``templates.waba_id``), so the same name+language on two WABAs is two rows. Rows
  stored before templates had a WABA (``""``) are claimed by the first number's WABA.
- Templates on Meta that we do not have are inserted (import of a client's existing
  templates after connecting); one summary notification per run that imported some.
- Known templates: components/Meta id are refreshed here; status, reason, quality and
  category go through ``template_status.apply_template_update`` (the webhook's path), so
  every status change notifies the admins and sends ``template_status_changed`` once.
- Idempotent: a second run with nothing changed on Meta changes nothing.
- Bounded: a per-client time budget and row limit; Meta errors are recorded on the result
  and logged, never raised; a client without (valid) credentials is skipped.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from clickpro.extensions import db
from clickpro.integrations.meta import GraphError
from clickpro.models import Template
from clickpro.models.base import utcnow
from clickpro.services.accounts.notifications import notify
from clickpro.services.credentials import NoCredentials
from clickpro.services.templates.status import apply_template_update
from clickpro.services.templates.ttl import ttl_from_meta
from clickpro.services.templates.wabas import Waba, client_wabas, graph_for_waba, waba_clause

log = logging.getLogger(__name__)

INSERT_BATCH = 200
# Statuses that no longer exist on Meta's side: a vanished row is marked DELETED once.
_GONE = ("DELETED", "DRAFT")


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    skipped: bool = False
    complete: bool = True  # False when the time budget or row limit cut the run short

    @property
    def changed(self) -> int:
        return self.created + self.updated

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": list(self.errors),
            "skipped": self.skipped,
            "complete": self.complete,
        }


def _reason(remote: dict) -> str | None:
    reason = remote.get("rejected_reason")
    if reason in (None, "", "NONE") or remote.get("status") != "REJECTED":
        return None
    return str(reason)[:255]


def _quality(remote: dict) -> str | None:
    quality = remote.get("quality_score")
    if isinstance(quality, dict):
        quality = quality.get("score")
    return str(quality)[:16] if quality else None


def sync_templates(
    client_id: int, *, time_budget_s: float | None = None, max_templates: int | None = None
) -> SyncResult:
    """Reconcile the client's templates with Meta's lists, WABA by WABA (module docstring).

    The time budget and the row limit are the client's, shared by its WABAs.
    """
    config = current_app.config
    budget = float(time_budget_s or config["TEMPLATE_SYNC_BUDGET_S"])
    limit = int(max_templates or config["TEMPLATE_SYNC_MAX"])
    result = SyncResult()
    wabas = client_wabas(client_id)
    run = _Run(
        client_id, time.monotonic() + budget, limit, default=wabas[0].waba_id if wabas else None
    )
    reached = 0
    for waba in wabas:
        if _sync_waba(run, waba, result):
            reached += 1
    result.skipped = reached == 0  # no number Meta has not refused
    _notify_imported(client_id, result)
    log.info(
        "template sync client=%s wabas=%s created=%s updated=%s unchanged=%s errors=%s",
        client_id,
        len(wabas),
        result.created,
        result.updated,
        result.unchanged,
        len(result.errors),
    )
    return result


@dataclass
class _Run:
    """One sync run of a client: its deadline and the rows it may still read."""

    client_id: int
    deadline: float
    remaining: int
    default: str | None  # the first number's WABA (owner of legacy rows)


def _sync_waba(run: _Run, waba: Waba, result: SyncResult) -> bool:
    """Sync one WABA; False when no usable number of it could be asked (skipped)."""
    client_id = run.client_id
    try:
        _credential, graph = graph_for_waba(client_id, waba.waba_id)
    except NoCredentials:
        return False
    try:
        remote_rows = graph.list_templates(waba.waba_id)
    except GraphError as exc:
        result.errors.append(f"Meta ({waba.label}): {exc.message or exc.title}")
        result.complete = False
        log.warning("template sync of client %s waba %s failed: %r", client_id, waba.waba_id, exc)
        return True
    locals_ = _ReconcileIndex(client_id, waba.waba_id, run.default)
    seen: set[int] = set()
    complete = True
    for index, remote in enumerate(remote_rows):
        if run.remaining <= 0 or time.monotonic() > run.deadline:
            complete = result.complete = False
            result.errors.append(
                _(
                    "Sincronização parcial: %(done)s de %(total)s modelos "
                    "(o restante na próxima rodada).",
                    done=index,
                    total=len(remote_rows),
                )
            )
            log.warning("template sync of client %s cut at %s rows", client_id, index)
            break
        run.remaining -= 1
        try:
            _apply_remote(client_id, remote, locals_, seen, result)
        except Exception as exc:  # one bad row never stops the others
            db.session.rollback()
            result.errors.append(f"{remote.get('name')}: {exc}")
            log.exception("template sync of client %s: row %s failed", client_id, remote.get("id"))
    _insert_new(locals_.new_rows, seen, result)
    _touch(client_id, seen)
    if complete:
        _mark_vanished(client_id, locals_, seen, result)
    return True


class _ReconcileIndex:
    """The client's local rows of one WABA, by Meta id and by (name, language); loaded once
    per run. Legacy rows (no WABA yet) found here are claimed by this WABA."""

    def __init__(self, client_id: int, waba_id: str, default: str | None) -> None:
        self.waba_id = waba_id
        rows = db.session.scalars(
            sa.select(Template).where(
                Template.client_id == client_id, waba_clause(waba_id, default)
            )
        )
        self.rows = list(rows)
        self.by_meta = {r.meta_template_id: r for r in self.rows if r.meta_template_id}
        self.by_key: dict[tuple[object, object], Template] = {
            (r.name, r.language): r for r in self.rows
        }
        self.new_rows: list[Template] = []

    def find(self, remote: dict) -> Template | None:
        found = self.by_meta.get(str(remote.get("id") or ""))
        return found or self.by_key.get((remote.get("name"), remote.get("language")))

    def add(self, row: Template) -> None:
        self.rows.append(row)
        self.by_key[(row.name, row.language)] = row
        if row.meta_template_id:
            self.by_meta[row.meta_template_id] = row


def _apply_remote(
    client_id: int, remote: dict, index: _ReconcileIndex, seen: set[int], result: SyncResult
) -> None:
    row = index.find(remote)
    meta_id = str(remote.get("id") or "") or None
    if row is None:
        row = Template(
            client_id=client_id,
            waba_id=index.waba_id,
            name=str(remote.get("name")),
            language=str(remote.get("language") or "pt_BR"),
            category=str(remote.get("category") or "MARKETING"),
            components=remote.get("components") or [],
            status=str(remote.get("status") or "PENDING"),
            meta_template_id=meta_id,
            rejected_reason=_reason(remote),
            quality_score=_quality(remote),
            send_ttl_seconds=ttl_from_meta(remote),
            last_synced_at=utcnow(),
        )
        index.add(row)
        index.new_rows.append(row)  # inserted in batches by _insert_new
        return
    seen.add(row.id)
    changed = False
    components = remote.get("components")
    if (
        (meta_id and row.meta_template_id != meta_id)
        or (components is not None and components != row.components)
        or row.waba_id != index.waba_id
    ):
        row.waba_id = index.waba_id  # a legacy row: now of the WABA that listed it
        row.meta_template_id = meta_id or row.meta_template_id
        if components is not None:
            row.components = components
        changed = True
        db.session.commit()
    status = str(remote.get("status") or row.status)
    category = str(remote.get("category") or row.category)
    quality = _quality(remote) or row.quality_score
    reason = _reason(remote)
    # A reason only matters with REJECTED (a webhook may have stored one for PAUSED…).
    reason_differs = status == "REJECTED" and reason != row.rejected_reason
    if (status, category, quality) != (row.status, row.category, row.quality_score) or (
        reason_differs
    ):
        changed = (
            apply_template_update(
                client_id,
                waba_id=index.waba_id,
                meta_template_id=row.meta_template_id,
                name=row.name,
                language=row.language,
                status=status,
                reason=reason,
                quality=quality,
                category=category,
            )
            or changed
        )
    if changed:
        result.updated += 1
    else:
        result.unchanged += 1


def _insert_new(rows: list[Template], seen: set[int], result: SyncResult) -> None:
    """Insert imported templates ``INSERT_BATCH`` per commit; a batch that collides with a
    row stored meanwhile (webhook, form) is retried row by row, each in a savepoint."""
    for start in range(0, len(rows), INSERT_BATCH):
        batch = rows[start : start + INSERT_BATCH]
        try:
            db.session.add_all(batch)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            batch = _insert_one_by_one(batch, result)
        result.created += len(batch)
        seen.update(row.id for row in batch)


def _insert_one_by_one(batch: list[Template], result: SyncResult) -> list[Template]:
    stored = []
    for row in batch:
        try:
            with db.session.begin_nested():
                db.session.add(row)
            stored.append(row)
        except IntegrityError:
            result.errors.append(
                _(
                    "%(name)s (%(language)s): já existe localmente.",
                    name=row.name,
                    language=row.language,
                )
            )
    db.session.commit()
    return stored


def _touch(client_id: int, row_ids: set[int]) -> None:
    """One UPDATE for "last synced" of every row Meta listed (changed or not)."""
    if not row_ids:
        return
    db.session.execute(
        sa.update(Template)
        .where(Template.client_id == client_id, Template.id.in_(row_ids))
        .values(last_synced_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _mark_vanished(
    client_id: int, index: _ReconcileIndex, seen: set[int], result: SyncResult
) -> None:
    """Rows Meta once knew (they have a Meta id) that its full list no longer has."""
    for row in index.rows:
        if row.id in seen or not row.meta_template_id or row.status in _GONE:
            continue
        if apply_template_update(
            client_id,
            waba_id=index.waba_id,
            meta_template_id=row.meta_template_id,
            name=row.name,
            language=row.language,
            status="DELETED",
        ):
            result.updated += 1


def _notify_imported(client_id: int, result: SyncResult) -> None:
    if not result.created:
        return

    notify(
        client_id,
        "templates_imported",
        _("%(count)s modelo(s) importado(s) da Meta.", count=result.created),
    )
