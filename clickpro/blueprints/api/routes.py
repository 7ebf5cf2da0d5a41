"""The ``api`` blueprint: panel pages (tokens, webhooks) + the nested /api/v1 blueprint.

/api/v1 (``v1``, built in ``registry`` and filled by the ``routes_*`` modules) is
CSRF-exempt and token-only; the panel pages are normal session pages with CSRF.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from clickpro.blueprints import once
from clickpro.blueprints.api import (  # noqa: F401 - each module registers its routes on v1
    routes_campaigns,
    routes_contacts,
    routes_costs,
    routes_flows,
    routes_hours,
    routes_messages,
    routes_numbers,
    routes_optouts,
    routes_teams,
    routes_templates,
    routes_webhooks,
)
from clickpro.blueprints.api.auth import ApiError
from clickpro.blueprints.api.forms import CsrfForm, TokenForm, WebhookForm
from clickpro.blueprints.api.openapi import build_document
from clickpro.blueprints.api.registry import OPERATIONS, v1
from clickpro.blueprints.errors import form_error, from_http, json_error
from clickpro.errors import ServiceError
from clickpro.extensions import csrf, db
from clickpro.guards import admin_required
from clickpro.models import WebhookEndpoint
from clickpro.services.api import outbound_webhooks as hooks
from clickpro.services.api import tokens as api_tokens
from clickpro.tenancy import get_owned_or_404, require_client

bp = Blueprint("api", __name__, template_folder="templates")

# --------------------------------------------------------------------------- /api/v1 errors


@v1.errorhandler(ServiceError)
def _api_error(exc: ServiceError):
    """Every refusal (ApiError, or any service's ServiceError) in the v1 error body."""
    db.session.rollback()  # nothing half-done survives a refusal
    return json_error(exc)


@v1.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return _api_error(from_http(exc))


@v1.errorhandler(Exception)
def _unexpected(exc: Exception):
    current_app.logger.error("API error", exc_info=exc)
    db.session.rollback()
    return _api_error(ApiError(500, "internal_error", _("Erro interno. Tente de novo.")))


@v1.route("/openapi.json")
def openapi_json():
    return jsonify(build_document())


@v1.route("/docs")
def docs():
    document = build_document()
    return render_template("api/docs.html", document=document, operations=OPERATIONS)


csrf.exempt(v1)
bp.register_blueprint(v1)


# --------------------------------------------------------------------------- panel: tokens


@bp.route("/settings/api-tokens", methods=["GET", "POST"])
@admin_required
def tokens():
    client = require_client()
    form = TokenForm()
    if form.validate_on_submit():
        from flask_login import current_user

        try:
            created = api_tokens.create_token(client.id, form.name.data or "", current_user.id)[1]
        except api_tokens.ApiTokenError as exc:
            form_error(form, exc)
        else:
            # post/redirect/get: a refresh of the page never creates a second token
            once.keep_for_next_page("api_token", created)
            flash(_("Token criado. Copie agora: ele não será mostrado de novo."), "success")
            return redirect(url_for("api.tokens"), 303)
    return render_template(
        "api/tokens.html",
        form=form,
        created=once.take("api_token") if request.method == "GET" else None,
        tokens=api_tokens.list_tokens(client.id),
        action_form=CsrfForm(),
    )


@bp.route("/settings/api-tokens/<int:token_id>/revoke", methods=["POST"])
@admin_required
def revoke_token(token_id: int):
    client = require_client()
    if not CsrfForm().validate_on_submit():
        flash(_("Sessão expirada; tente de novo."), "danger")
    elif api_tokens.revoke_token(client.id, token_id):
        flash(_("Token revogado."), "success")
    else:
        return render_template("errors/404.html"), 404
    return redirect(url_for("api.tokens"))


# --------------------------------------------------------------------------- panel: webhooks


@bp.route("/settings/webhooks", methods=["GET", "POST"])
@admin_required
def webhooks():
    client = require_client()
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            secret = hooks.create_endpoint(
                client.id, form.url.data or "", form.events.data, form.description.data or ""
            )[1]
        except hooks.WebhookEndpointError as exc:
            form_error(form, exc)
        else:
            once.keep_for_next_page("webhook_secret", secret)  # post/redirect/get
            flash(_("Endpoint criado. Copie o segredo agora: ele não será mostrado de novo."),
                  "success")  # fmt: skip
            return redirect(url_for("api.webhooks"), 303)
    return render_template(
        "api/webhooks.html",
        form=form,
        secret=once.take("webhook_secret") if request.method == "GET" else None,
        endpoints=hooks.endpoints_of(client.id),
        deliveries=hooks.recent_deliveries(client.id, limit=50),
        action_form=CsrfForm(),
    )


@bp.route("/settings/webhooks/<int:webhook_id>/toggle", methods=["POST"])
@admin_required
def toggle_webhook(webhook_id: int):
    endpoint = get_owned_or_404(WebhookEndpoint, webhook_id)
    if CsrfForm().validate_on_submit():
        hooks.update_endpoint(endpoint, {"is_active": not endpoint.is_active})
        flash(_("Endpoint atualizado."), "success")
    return redirect(url_for("api.webhooks"))


@bp.route("/settings/webhooks/<int:webhook_id>/delete", methods=["POST"])
@admin_required
def delete_webhook(webhook_id: int):
    endpoint = get_owned_or_404(WebhookEndpoint, webhook_id)
    if CsrfForm().validate_on_submit():
        hooks.delete_endpoint(endpoint)
        flash(_("Endpoint removido."), "success")
    return redirect(url_for("api.webhooks"))
