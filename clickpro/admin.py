"""Flask-Admin at /admin/ for platform operators (SUPER_ADMIN only).

Anyone else gets a 404 (the area does not exist for them); an anonymous visitor is sent
to the login page. Secrets never leave the database: encrypted columns and password
hashes are excluded from every list, detail and form; credentials show the last four
characters only. Plugins add views through ``clickpro.plugins.api.register_admin_view``,
which finds this app's ``Admin`` in ``app.extensions["clickpro.admin"]``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, abort, current_app, flash, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEmpty
from flask_admin.form import SecureForm
from flask_admin.model.filters import BaseBooleanFilter
from flask_admin.theme import Bootstrap4Theme
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf, validate_csrf
from markupsafe import Markup
from wtforms import PasswordField, SelectField, ValidationError
from wtforms.csrf.core import CSRF
from wtforms.validators import Optional

from clickpro.extensions import db
from clickpro.models import (
    AuditEntry,
    Campaign,
    Client,
    ClientMember,
    Message,
    OpenAICredential,
    Role,
    Template,
    User,
    WebhookEvent,
    WhatsAppCredential,
)
from clickpro.realtime import disconnect_user
from clickpro.services.accounts.service import end_sessions
from clickpro.services.accounts.validation import (
    InvalidValue,
    validate_name,
    validate_slug,
    validate_timezone,
)
from clickpro.services.api.tokens import revoke_tokens_created_by
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record

EXTENSION_KEY = "clickpro.admin"


class _FlaskWTFCSRF(CSRF):
    """Flask-Admin's SecureForm, but with Flask-WTF's token.

    The app-wide ``CSRFProtect`` checks every POST against Flask-WTF's token, so the
    admin forms must carry that same token (Flask-Admin's own SessionCSRF token would
    be refused before the view runs).
    """

    def generate_csrf_token(self, csrf_token_field) -> str:
        return generate_csrf()

    def validate_csrf_token(self, form, field) -> None:
        if not current_app.config["WTF_CSRF_ENABLED"]:
            return
        try:
            validate_csrf(field.data)
        except Exception as exc:
            raise ValidationError(str(getattr(exc, "args", ["CSRF"])[0])) from None


class AdminForm(SecureForm):
    class Meta:
        csrf = True
        csrf_class = _FlaskWTFCSRF


def _is_super_admin() -> bool:
    return bool(current_user.is_authenticated and current_user.is_super_admin)


def _deny():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    abort(404)


class SuperAdminIndexView(AdminIndexView):
    def is_accessible(self) -> bool:
        return _is_super_admin()

    def inaccessible_callback(self, name, **kwargs):
        return _deny()

    @expose("/")
    def index(self):
        counts = {
            label: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for label, model in (
                (_("Clientes"), Client),
                (_("Usuários"), User),
                (_("Mensagens"), Message),
                (_("Eventos de webhook"), WebhookEvent),
            )
        }
        unrouted = db.session.scalar(
            sa.select(sa.func.count(WebhookEvent.id)).where(
                sa.or_(WebhookEvent.routed.is_(False), WebhookEvent.error.is_not(None))
            )
        )
        return self.render("admin/clickpro_index.html", counts=counts, unrouted=unrouted)


class SecureModelView(ModelView):
    form_base_class = AdminForm
    page_size = 50
    can_view_details = True

    def is_accessible(self) -> bool:
        return _is_super_admin()

    def inaccessible_callback(self, name, **kwargs):
        return _deny()


class ReadOnlyView(SecureModelView):
    can_create = False
    can_edit = False
    can_delete = False


def _turned_off(model) -> bool:
    """``is_active`` went from True to False in this form submission."""
    history = sa.inspect(model).attrs.is_active.history
    return bool(history.deleted) and history.deleted[0] is True and model.is_active is False


def _rule(check):
    """A WTForms validator from a ``clickpro.services.accounts.validation`` function: the
    field keeps the cleaned value, a refusal is shown under the field with the rule."""

    def validator(form, field) -> None:
        try:
            field.data = check(field.data)
        except InvalidValue as exc:
            raise ValidationError(exc.message) from None

    return validator


class ClientView(SecureModelView):
    column_list = ("id", "name", "slug", "timezone", "is_active", "ai_enabled", "created_at")
    column_searchable_list = ("name", "slug")
    column_filters = ("is_active", "ai_enabled")
    form_columns = ("name", "slug", "timezone", "is_active", "ai_enabled")
    column_details_exclude_list = ("settings",)
    column_labels = {
        "name": _l("Nome"),
        "slug": _l("Slug"),
        "timezone": _l("Fuso horário"),
        "is_active": _l("Ativo"),
        "ai_enabled": _l("IA ligada"),
        "created_at": _l("Criado em"),
    }
    form_args = {
        "name": {"validators": [_rule(validate_name)]},
        "slug": {"validators": [_rule(validate_slug)]},
        "timezone": {
            "validators": [_rule(validate_timezone)],
            "description": _l("Nome IANA, ex.: America/Sao_Paulo, America/Recife."),
        },
    }

    def on_model_change(self, form, model: Client, is_created: bool) -> None:
        """The same rules again on the model (a form without a field still passes here),
        and a clear message for a slug taken by another client (not an IntegrityError)."""
        try:
            model.name = validate_name(model.name)
            model.slug = validate_slug(model.slug)
            model.timezone = validate_timezone(model.timezone)
        except InvalidValue as exc:
            raise ValidationError(exc.message) from None
        with db.session.no_autoflush:
            taken = db.session.scalar(
                sa.select(Client.id).where(Client.slug == model.slug, Client.id != (model.id or 0))
            )
        if taken is not None:
            raise ValidationError(_("O slug “%(slug)s” já é de outro cliente.", slug=model.slug))
        changed = [f for f in self.form_columns if sa.inspect(model).attrs[f].history.has_changes()]
        if not is_created and changed:  # the super admin's edit, in the log of that client
            audit_record(Action.CLIENT_SETTINGS_CHANGED, model, client_id=model.id, commit=False,
                         via="admin", fields=changed)  # fmt: skip


class UserView(SecureModelView):
    column_list = (
        "id",
        "email",
        "name",
        "is_super_admin",
        "is_active",
        "locked_until",
        "last_login_at",
    )
    column_exclude_list = ("password_hash",)
    column_details_exclude_list = ("password_hash",)
    column_export_exclude_list = ("password_hash",)
    column_searchable_list = ("email", "name")
    column_filters = ("is_super_admin", "is_active")
    form_columns = (
        "email",
        "name",
        "new_password",
        "is_super_admin",
        "is_active",
        "locale",
        "locked_until",
    )
    form_extra_fields = {
        "new_password": PasswordField(
            _l("Definir senha"),
            validators=[Optional()],
            description=_l("Deixe em branco para manter."),
        )
    }

    def on_model_change(self, form, model: User, is_created: bool) -> None:
        from clickpro.services.accounts.service import (
            AccountError,
            normalize_email,
            validate_password,
        )

        model.email = normalize_email(model.email)
        password = form.new_password.data
        if is_created and not password:
            raise ValidationError(_("Informe uma senha para o novo usuário."))
        if password:
            try:
                validate_password(password)
            except AccountError as exc:
                raise ValidationError(str(exc)) from None
            model.set_password(password)  # also ends the user's sessions
            model.failed_logins = 0
        if not is_created and _turned_off(model):
            # A deactivated account: its cookies and every API token it created end now.
            model.end_sessions()
            revoke_tokens_created_by(model.id, commit=False)

    def after_model_change(self, form, model: User, is_created: bool) -> None:
        if not model.is_active:
            disconnect_user(model.id)


class MembershipView(SecureModelView):
    column_list = ("id", "client", "user", "role", "is_active", "created_at")
    column_filters = ("role", "is_active", "client.name", "user.email")
    form_columns = ("client", "user", "role", "is_active")
    form_overrides = {"role": SelectField}
    form_args = {
        "role": {
            "choices": [
                (Role.CLIENT_ADMIN.value, "CLIENT_ADMIN"),
                (Role.CLIENT_USER.value, "CLIENT_USER"),
            ]
        }
    }

    def on_model_change(self, form, model: ClientMember, is_created: bool) -> None:
        history = sa.inspect(model).attrs.client_id.history
        role_changed = not is_created and bool(sa.inspect(model).attrs.role.history.deleted)
        if not is_created and _turned_off(model):
            audit_record(Action.MEMBER_DEACTIVATED, model, client_id=model.client_id, commit=False,
                         via="admin", user_id=model.user_id)  # fmt: skip
            end_sessions(model.user_id, commit=False)
            revoke_tokens_created_by(model.user_id, client_id=model.client_id, commit=False)
        if role_changed:  # (read before: an entry's flush clears the history)
            audit_record(Action.MEMBER_ROLE_CHANGED, model, client_id=model.client_id, commit=False,
                         via="admin", role=model.role)  # fmt: skip
        db.session.flush()
        for client_id in {model.client_id, *(c for c in history.deleted if c is not None)}:
            self._check_has_admin(client_id)

    def on_model_delete(self, model: ClientMember) -> None:
        self._check_has_admin(model.client_id, excluding=model.id)
        # A removed member keeps no session and no API token of this client.
        end_sessions(model.user_id, commit=False)
        revoke_tokens_created_by(model.user_id, client_id=model.client_id, commit=False)

    def after_model_change(self, form, model: ClientMember, is_created: bool) -> None:
        if not model.is_active:
            disconnect_user(model.user_id, model.client_id)

    def after_model_delete(self, model: ClientMember) -> None:
        disconnect_user(model.user_id, model.client_id)

    @staticmethod
    def _check_has_admin(client_id: int, excluding: int | None = None) -> None:
        """Never leave a client without an active CLIENT_ADMIN (the services' rule)."""
        stmt = sa.select(sa.func.count(ClientMember.id)).where(
            ClientMember.client_id == client_id,
            ClientMember.role == Role.CLIENT_ADMIN,
            ClientMember.is_active.is_(True),
        )
        if excluding is not None:
            stmt = stmt.where(ClientMember.id != excluding)
        if not db.session.scalar(stmt):
            raise ValidationError(_("O cliente precisa de pelo menos um administrador ativo."))


def _last4_formatter(attribute: str):
    def render(view, context, model, name):
        value = getattr(model, attribute, "") or ""
        return f"••••{value}" if value else "—"

    return render


class WhatsAppCredentialView(ReadOnlyView):
    """The clients' WhatsApp numbers (several per client); secrets never shown."""

    column_list = (
        "id",
        "client_id",
        "display_name",
        "phone_number_id",
        "waba_id",
        "display_phone_number",
        "token",
        "status",
        "archived_at",
        "throughput_mps",
        "validated_at",
    )
    column_details_list = column_list + (
        "app_id",
        "verified_name",
        "quality_rating",
        "messaging_tier",
        "ai_settings",
        "last_error",
    )
    column_formatters = {"token": _last4_formatter("token_last4")}
    column_filters = ("status", "client_id")
    column_searchable_list = ("display_name", "phone_number_id", "display_phone_number")


class OpenAICredentialView(ReadOnlyView):
    column_list = ("id", "client_id", "api_key", "model", "assistant_id", "status", "validated_at")
    column_details_list = column_list + (
        "temperature",
        "context_messages",
        "max_output_tokens",
        "last_error",
    )
    column_formatters = {"api_key": _last4_formatter("key_last4")}
    column_filters = ("status", "client_id")


class TemplateView(ReadOnlyView):
    column_list = (
        "id",
        "client_id",
        "waba_id",
        "name",
        "language",
        "category",
        "status",
        "meta_template_id",
        "last_synced_at",
    )
    column_filters = ("status", "category", "client_id", "waba_id")
    column_searchable_list = ("name",)


class CampaignView(ReadOnlyView):
    column_list = (
        "id",
        "client_id",
        "name",
        "status",
        "number_id",
        "template_id",
        "scheduled_at",
        "started_at",
        "finished_at",
    )
    column_filters = ("status", "client_id")
    column_searchable_list = ("name",)


class MessageView(ReadOnlyView):
    column_list = (
        "id",
        "client_id",
        "contact_id",
        "campaign_id",
        "direction",
        "author",
        "type",
        "status",
        "error_code",
        "wamid",
        "created_at",
    )
    column_filters = ("status", "direction", "author", "client_id", "campaign_id", "error_code")
    column_searchable_list = ("wamid",)
    column_default_sort = ("id", True)


def _short_body(view, context, model, name):
    body = model.body or ""
    return body if len(body) <= 120 else body[:120] + "…"


def _pre_body(view, context, model, name):
    return Markup("<pre style='white-space: pre-wrap'>{}</pre>").format(model.body or "")


class FilterPositive(BaseSQLAFilter, BaseBooleanFilter):
    """A count column above zero (yes) or zero (no): e.g. events with malformed messages."""

    def apply(self, query, value, alias=None):
        column = self.get_column(alias)
        return query.filter(column > 0 if value == "1" else column == 0)

    def operation(self):
        return _l("maior que 0")


class WebhookEventView(ReadOnlyView):
    column_list: tuple[str, ...] = (
        "id",
        "received_at",
        "client_id",
        "routed",
        "signature_ok",
        "processed_at",
        "attempts",
        "dead_at",
        "dropped",
        "malformed",
        "error",
        "body",
    )
    column_labels = {
        "received_at": _l("Recebido em"),
        "client_id": _l("Cliente"),
        "routed": _l("Roteado"),
        "signature_ok": _l("Assinatura ok"),
        "signed_by": _l("Assinado por"),
        "processed_at": _l("Processado em"),
        "attempts": _l("Tentativas"),
        "dead_at": _l("Falha definitiva em"),
        "dropped": _l("Mudanças descartadas (outro app)"),
        "malformed": _l("Mensagens sem telefone nem BSUID"),
        "error": _l("Erro"),
        "body": _l("Corpo"),
    }
    column_formatters = {"body": _short_body}
    column_formatters_detail = {"body": _pre_body}
    column_filters = (
        "routed",
        "signature_ok",
        "client_id",
        FilterEmpty(WebhookEvent.error, _l("Erro")),
        FilterEmpty(WebhookEvent.processed_at, _l("Processado em")),
        FilterEmpty(WebhookEvent.dead_at, _l("Falha definitiva em")),
        FilterPositive(WebhookEvent.malformed, _l("Mensagens sem telefone nem BSUID")),
    )
    column_default_sort = ("id", True)

    @action(
        "reprocess",
        _l("Reprocessar"),
        _l("Reprocessar os eventos selecionados?"),
    )
    def action_reprocess(self, ids: list[str]) -> None:
        from clickpro.services.webhook.ingest import reprocess_events

        try:
            count = reprocess_events([int(i) for i in ids])
        except Exception as exc:  # report in the page, never a 500
            db.session.rollback()
            current_app.logger.exception("admin reprocess failed")
            flash(
                _("Falha ao reprocessar: %(error)s", error=f"{type(exc).__name__}: {exc}"), "error"
            )
            return
        flash(_("%(n)d evento(s) reenviado(s) para processamento.", n=count), "success")

    @action(
        "discard",
        _l("Descartar"),
        _l("Descartar os eventos selecionados sem aplicá-los?"),
    )
    def action_discard(self, ids: list[str]) -> None:
        from clickpro.services.webhook.ingest import discard_events

        try:
            count = discard_events([int(i) for i in ids])
        except Exception as exc:  # report in the page, never a 500
            db.session.rollback()
            current_app.logger.exception("admin discard failed")
            flash(_("Falha ao descartar: %(error)s", error=f"{type(exc).__name__}: {exc}"), "error")
            return
        flash(_("%(n)d evento(s) descartado(s).", n=count), "success")


class AuditEntryView(ReadOnlyView):
    """Every client's audit log; entries are never created, edited or deleted here."""

    column_list = (
        "id",
        "created_at",
        "client_id",
        "actor_email",
        "ip",
        "action",
        "target_type",
        "target_id",
        "details",
    )
    column_filters = ("action", "client_id", "actor_user_id", "actor_email", "ip")
    column_searchable_list = ("actor_email", "action", "target_id")
    column_default_sort = ("id", True)


class DeadLetterView(WebhookEventView):
    """Events whose last attempt failed (or whose body no retry can fix), still open."""

    column_list = ("id", "received_at", "client_id", "attempts", "dead_at", "error", "body")
    column_default_sort = ("dead_at", True)

    def _dead(self, query):
        return query.filter(WebhookEvent.dead_at.is_not(None), WebhookEvent.processed_at.is_(None))

    def get_query(self):
        return self._dead(super().get_query())

    def get_count_query(self):
        return self._dead(super().get_count_query())


def init_admin(app: Flask) -> Admin:
    """Create this app's Admin (one per app, so create_app may run many times)."""
    admin = Admin(
        app,
        name="ClickPro Admin",
        url="/admin",
        index_view=SuperAdminIndexView(url="/admin", endpoint="admin"),
        theme=Bootstrap4Theme(swatch="default", fluid=True),
    )
    accounts, credentials, messages = _l("Contas"), _l("Credenciais"), _l("Mensagens")
    views = (  # (view class, model, menu name, endpoint, menu category)
        (ClientView, Client, _l("Clientes"), "admin_clients", accounts),
        (UserView, User, _l("Usuários"), "admin_users", accounts),
        (AuditEntryView, AuditEntry, _l("Auditoria"), "admin_audit_log", accounts),
        (MembershipView, ClientMember, _l("Membros"), "admin_members", accounts),
        (WhatsAppCredentialView, WhatsAppCredential, _l("WhatsApp"), "admin_whatsapp", credentials),
        (OpenAICredentialView, OpenAICredential, _l("OpenAI"), "admin_openai", credentials),
        (TemplateView, Template, _l("Modelos"), "admin_templates", messages),
        (CampaignView, Campaign, _l("Campanhas"), "admin_campaigns", messages),
        (MessageView, Message, _l("Mensagens"), "admin_messages", messages),
        (
            WebhookEventView,
            WebhookEvent,
            _l("Eventos de webhook"),
            "admin_webhook_events",
            messages,
        ),
        (
            DeadLetterView,
            WebhookEvent,
            _l("Eventos com falha definitiva"),
            "admin_webhook_dead_letters",
            messages,
        ),
    )
    for view_class, model, name, endpoint, category in views:
        admin.add_view(
            view_class(model, db.session, name=name, endpoint=endpoint, category=category)
        )
    from clickpro.blueprints.costs.admin_view import RateCardAdmin  # h6: rate cards (CSV)

    admin.add_view(
        RateCardAdmin(name=_l("Cartões de preços"), endpoint="admin_rate_cards", category=messages)
    )
    app.extensions[EXTENSION_KEY] = admin
    return admin
