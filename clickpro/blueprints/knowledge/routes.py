"""Knowledge base page (``/ai/knowledge``, client admins): upload documents, paste FAQ
entries, see each one's indexing status, retry a failure, delete (at OpenAI too)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from clickpro.guards import admin_required
from clickpro.services.ai.knowledge import documents as kb
from clickpro.services.credentials import list_numbers
from clickpro.tenancy import require_client

bp = Blueprint("knowledge", __name__, template_folder="templates", url_prefix="/ai/knowledge")


def _number_id() -> int | None:
    raw = (request.form.get("number_id") or "").strip()
    return int(raw) if raw.isdigit() else None


@bp.get("/")
@admin_required
def index():
    client = require_client()
    numbers = {n.id: n for n in list_numbers(client.id)}
    return render_template(
        "knowledge/index.html",
        documents=kb.list_documents(client.id),
        numbers=numbers,
        labels={
            "uploading": _("enviando"),
            "indexing": _("indexando"),
            "ready": _("pronto"),
            "failed": _("falhou"),
            "deleting": _("removendo"),
        },  # fmt: skip
        max_mb=kb.MAX_UPLOAD_BYTES // 1024 // 1024,
        form=request.args,
    )


@bp.post("/upload")
@admin_required
def upload():
    client = require_client()
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(_("Escolha um arquivo."), "danger")
        return redirect(url_for("knowledge.index"))
    content = file.stream.read(kb.MAX_UPLOAD_BYTES + 1)
    try:
        kb.add_file(client.id, _user_id(), file.filename, content, number_id=_number_id())
    except kb.KnowledgeError as exc:
        flash(str(exc), "danger")
    else:
        flash(_("Documento enviado: a indexação leva alguns segundos."), "success")
    return redirect(url_for("knowledge.index"))


@bp.post("/faq")
@admin_required
def faq():
    client = require_client()
    question, answer = request.form.get("question", ""), request.form.get("answer", "")
    try:
        kb.add_faq(client.id, _user_id(), question, answer, number_id=_number_id())
    except kb.KnowledgeError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("knowledge.index", question=question[:300], answer=answer[:4000]))
    flash(_("Pergunta adicionada à base de conhecimento."), "success")
    return redirect(url_for("knowledge.index"))


@bp.post("/<int:document_id>/delete")
@admin_required
def delete(document_id: int):
    try:
        kb.delete_document(require_client().id, document_id)
    except LookupError:
        abort(404)
    flash(_("Documento removido da base de conhecimento."), "success")
    return redirect(url_for("knowledge.index"))


@bp.post("/<int:document_id>/retry")
@admin_required
def retry(document_id: int):
    try:
        kb.retry_document(require_client().id, document_id)
    except LookupError:
        abort(404)
    except kb.KnowledgeError as exc:
        flash(str(exc), "danger")
    return redirect(url_for("knowledge.index"))


def _user_id() -> int | None:
    from flask_login import current_user

    return getattr(current_user, "id", None)
