"""Members page: invite by e-mail (resend, revoke), change role, deactivate/reactivate.

The rules (valid roles, never leave a client without an admin) live in
``clickpro.services.accounts.service``; this module only parses and renders.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clickpro.blueprints.auth.links import NoPublicUrl, public_base_url, request_locale
from clickpro.blueprints.members.forms import (
    ActiveForm,
    AddMemberForm,
    AgentPermissionsForm,
    RoleForm,
    role_choices,
)
from clickpro.extensions import db
from clickpro.guards import admin_required
from clickpro.models import ClientMember, MemberInvitation, User
from clickpro.realtime import disconnect_user
from clickpro.services.accounts.agent_permissions import (
    AgentPermissions,
    agent_permissions_of,
    set_agent_permissions,
)
from clickpro.services.accounts.invitations import invite, pending_for_client, resend, revoke
from clickpro.services.accounts.service import (
    AccountError,
    change_role,
    set_member_active,
)
from clickpro.services.api.tokens import active_counts_by_creator, count_active_created_by
from clickpro.tenancy import get_owned_or_404, require_client, scoped

bp = Blueprint("members", __name__, template_folder="templates")


def _members(client_id: int) -> list[ClientMember]:
    stmt = (
        scoped(ClientMember, client_id)
        .join(User, User.id == ClientMember.user_id)
        .order_by(ClientMember.is_active.desc(), User.email)
    )
    return list(db.session.scalars(stmt))


def _render(form: AddMemberForm | None = None, status: int = 200):
    client = require_client()
    return (
        render_template(
            "members/index.html",
            client=client,
            members=_members(client.id),
            invitations=pending_for_client(client.id),
            token_counts=active_counts_by_creator(client.id),
            form=form or AddMemberForm(),
            role_choices=role_choices(),
            me=current_user.id,
            permissions_form=AgentPermissionsForm(formdata=None, obj=agent_permissions_of(client)),
        ),
        status,
    )


@bp.route("/members")
@admin_required
def index():
    return _render()


@bp.route("/members", methods=["POST"])
@admin_required
def add():
    form = AddMemberForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    try:
        invitation = invite(
            require_client(),
            form.email.data or "",
            form.role.data,
            invited_by=current_user._get_current_object(),
            link_base=public_base_url(),
            locale=request_locale(),
        )
    except NoPublicUrl:
        flash(_("Defina PUBLIC_URL para enviar convites por e-mail."), "danger")
        return _render(form, 400)
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _render(form, 400)
    if invitation is None:  # a former member of this client (listed on this page)
        flash(_("Membro reativado."), "success")
    else:
        # The same answer whether the e-mail already had an account or not.
        flash(
            _(
                "Convite enviado para %(email)s. O link vale por %(days)s dias; a pessoa "
                "entra na equipe quando aceitar.",
                email=invitation.email,
                days=current_app.config["MEMBER_INVITATION_DAYS"],
            ),
            "success",
        )
        _demo_outbox_hint()
    return redirect(url_for("members.index"))


def _demo_outbox_hint() -> None:
    """The demo has no mail server: say where the mail went."""
    if current_app.config["EMBEDDED"] and not current_app.config["SMTP_URL"]:
        flash(_("Modo de demonstração: o e-mail está em %(url)s.", url="/_dev/mail"), "info")


@bp.route("/members/invitations/<int:invitation_id>/resend", methods=["POST"])
@admin_required
def resend_invitation(invitation_id: int):
    invitation = get_owned_or_404(MemberInvitation, invitation_id)
    if not ActiveForm().validate_on_submit():
        flash(_("Formulário expirado. Tente novamente."), "danger")
        return redirect(url_for("members.index"))
    try:
        sent = resend(
            require_client().id,
            invitation_id,
            link_base=public_base_url(),
            locale=request_locale(),
        )
    except NoPublicUrl:
        flash(_("Defina PUBLIC_URL para enviar convites por e-mail."), "danger")
    else:
        if sent:
            flash(
                _(
                    "Convite reenviado para %(email)s; o link anterior não funciona mais.",
                    email=invitation.email,
                ),
                "success",
            )
            _demo_outbox_hint()
        else:
            flash(_("Este convite não está mais disponível."), "warning")
    return redirect(url_for("members.index"))


@bp.route("/members/invitations/<int:invitation_id>/revoke", methods=["POST"])
@admin_required
def revoke_invitation(invitation_id: int):
    get_owned_or_404(MemberInvitation, invitation_id)
    if not ActiveForm().validate_on_submit():
        flash(_("Formulário expirado. Tente novamente."), "danger")
    elif revoke(require_client().id, invitation_id):
        flash(_("Convite cancelado."), "success")
    else:
        flash(_("Este convite não está mais disponível."), "warning")
    return redirect(url_for("members.index"))


@bp.route("/members/<int:member_id>/role", methods=["POST"])
@admin_required
def set_role(member_id: int):
    membership = get_owned_or_404(ClientMember, member_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Papel inválido."), "danger")
        return redirect(url_for("members.index"))
    try:
        change_role(membership, form.role.data)
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash(_("Papel atualizado."), "success")
    return redirect(url_for("members.index"))


def _set_active(member_id: int, active: bool):
    membership = get_owned_or_404(ClientMember, member_id)
    if not ActiveForm().validate_on_submit():
        flash(_("Formulário expirado. Tente novamente."), "danger")
        return redirect(url_for("members.index"))
    try:
        revoked = 0 if active else count_active_created_by(membership.client_id, membership.user_id)
        set_member_active(membership, active)
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        if active:
            flash(_("Membro reativado."), "success")
        else:
            disconnect_user(membership.user_id, membership.client_id)
            flash(
                _(
                    "Membro desativado: a sessão foi encerrada e %(count)s token(s) de API "
                    "criados por este membro foram revogados.",
                    count=revoked,
                ),
                "success",
            )
    return redirect(url_for("members.index"))


@bp.route("/members/<int:member_id>/deactivate", methods=["POST"])
@admin_required
def deactivate(member_id: int):
    return _set_active(member_id, False)


@bp.route("/members/<int:member_id>/reactivate", methods=["POST"])
@admin_required
def reactivate(member_id: int):
    return _set_active(member_id, True)


@bp.route("/members/agent-permissions", methods=["POST"])
@admin_required
def agent_permissions():
    """The client's "Agentes podem ..." options (clickpro.permissions.AGENT_OPTIONAL)."""
    form = AgentPermissionsForm()
    if not form.validate_on_submit():
        flash(_("Não foi possível salvar as permissões. Tente de novo."), "danger")
        return redirect(url_for("members.index"))
    set_agent_permissions(
        require_client(),
        AgentPermissions(
            import_contacts=form.import_contacts.data,
            delete_contacts=form.delete_contacts.data,
            export_contacts=form.export_contacts.data,
            view_all_conversations=form.view_all_conversations.data,
        ),
    )
    flash(_("Permissões dos atendentes salvas."), "success")
    return redirect(url_for("members.index"))
