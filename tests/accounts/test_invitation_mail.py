"""Invitations by e-mail: a signed, single-use link valid MEMBER_INVITATION_DAYS days."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

import clickpro.services.accounts.invitations as invitations_module
from clickpro.models import ClientMember, MemberInvitation, Role, User
from clickpro.models.base import utcnow
from clickpro.services.accounts.service import membership_of

NEW_PASSWORD = "girassol-azul-77"


def _invite(http, email, role="CLIENT_USER"):
    return http.post("/members", data={"email": email, "role": role})


def test_invite_a_new_email_accept_and_sign_in(app, create_client, login_as, inbox, db, sign_in):
    shop = create_client("Loja Flores")
    shop.admin.name = "Ana Dona"
    db.session.commit()
    admin = login_as(shop.admin, shop)
    response = _invite(admin, "Nova.Pessoa@Example.com", "CLIENT_ADMIN")
    assert response.status_code == 302
    # Nothing exists before the link is used: no account, no membership.
    assert db.session.scalar(sa.select(User).where(User.email == "nova.pessoa@example.com")) is None

    (mail,) = inbox.wait_for(1)
    assert mail["To"] == "nova.pessoa@example.com"
    assert "Loja Flores" in mail["Subject"]
    text = inbox.text(mail)
    assert "Ana Dona convidou você" in text and "administrador(a)" in text
    link = inbox.link(mail)
    assert link.startswith("/invite/")
    # Only the hash of the token is stored.
    stored = db.session.scalar(sa.select(MemberInvitation.token_sha256))
    assert link.rsplit("/", 1)[1] not in stored

    form = admin.get(link)  # the admin's browser is someone else: still a form for a new e-mail
    assert form.status_code == 200 and "Loja Flores" in form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"

    invitee = app.test_client()
    accepted = invitee.post(
        link, data={"name": "Nova Pessoa", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/"
    assert "Loja Flores" in invitee.get("/").get_data(as_text=True)  # signed in, in the client
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.email == "nova.pessoa@example.com"))
    assert user.name == "Nova Pessoa"
    assert membership_of(shop.id, user.id).role == Role.CLIENT_ADMIN

    # The link works once.
    again = app.test_client().get(link)
    assert again.status_code == 404 and "inválido ou expirou" in again.get_data(as_text=True)
    # The new member signs in with the password chosen.
    page = sign_in("nova.pessoa@example.com", NEW_PASSWORD).get("/")
    assert page.status_code == 200 and "Loja Flores" in page.get_data(as_text=True)


def test_invite_an_existing_account_signs_in_and_accepts(
    app, create_client, login_as, inbox, db, sign_in
):
    shop = create_client("Loja Convida")
    other = create_client("Loja Dela")
    invitee = other.admin
    invitee.locale = "en"
    db.session.commit()
    _invite(login_as(shop.admin, shop), invitee.email)
    (mail,) = inbox.wait_for(1)
    # The account's own language, and the "sign in and accept" variant.
    assert mail["Subject"] == "You are invited to the Loja Convida team on ClickPro"
    assert "You already have an account" in inbox.text(mail)
    link = inbox.link(mail)

    anonymous = app.test_client()
    to_login = anonymous.get(link)
    assert to_login.status_code == 302 and to_login.headers["Location"].startswith("/login")

    http = sign_in(invitee.email, "senha-segura-123")
    assert http.get(link).headers["Location"] == "/invitations"
    invitation = db.session.scalar(sa.select(MemberInvitation))
    assert http.post(f"/invitations/{invitation.id}/accept").status_code == 302
    db.session.expire_all()
    assert membership_of(shop.id, invitee.id).is_active
    assert membership_of(other.id, invitee.id).is_active  # the old client is kept
    # Nobody can create a second account through that link.
    assert app.test_client().get(link).status_code == 404


def test_the_link_of_an_existing_account_never_creates_one(app, create_client, login_as, inbox):
    shop = create_client()
    stranger = create_client().admin
    _invite(login_as(shop.admin, shop), stranger.email)
    link = inbox.link(inbox.wait_for(1)[0])
    response = app.test_client().post(
        link, data={"name": "Intrusa", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert stranger.check_password("senha-segura-123")


def test_resend_kills_the_old_link(app, create_client, login_as, inbox, db):
    shop = create_client()
    admin = login_as(shop.admin, shop)
    _invite(admin, "pessoa@example.com")
    first = inbox.link(inbox.wait_for(1)[0])
    invitation = db.session.scalar(sa.select(MemberInvitation))
    page = admin.get("/members").get_data(as_text=True)
    assert f"/members/invitations/{invitation.id}/resend" in page

    resent = admin.post(f"/members/invitations/{invitation.id}/resend", follow_redirects=True)
    assert "o link anterior não funciona mais" in resent.get_data(as_text=True)
    second = inbox.link(inbox.wait_for(2)[1])
    assert first != second
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200


def test_revoked_link_fails(app, create_client, login_as, inbox, db):
    shop = create_client()
    admin = login_as(shop.admin, shop)
    _invite(admin, "pessoa@example.com")
    link = inbox.link(inbox.wait_for(1)[0])
    invitation = db.session.scalar(sa.select(MemberInvitation))
    assert admin.post(f"/members/invitations/{invitation.id}/revoke").status_code == 302
    response = app.test_client().post(
        link, data={"name": "Pessoa", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1  # only the admin
    # A revoked invitation cannot be resent either.
    again = admin.post(f"/members/invitations/{invitation.id}/resend", follow_redirects=True)
    assert "não está mais disponível" in again.get_data(as_text=True)
    assert len(inbox.mails) == 1


def test_the_link_expires_after_seven_days(app, create_client, login_as, inbox, monkeypatch):
    shop = create_client()
    _invite(login_as(shop.admin, shop), "pessoa@example.com")
    link = inbox.link(inbox.wait_for(1)[0])
    start = utcnow()
    monkeypatch.setattr(invitations_module, "utcnow", lambda: start + timedelta(days=6, hours=23))
    assert app.test_client().get(link).status_code == 200
    monkeypatch.setattr(invitations_module, "utcnow", lambda: start + timedelta(days=7, minutes=1))
    assert app.test_client().get(link).status_code == 404
    response = app.test_client().post(
        link, data={"name": "Pessoa", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "token",
    ["x", "a" * 500, "InJhdyI.forged-signature", "../../etc/passwd"],
)
def test_forged_links_are_404(app, token):
    assert app.test_client().get(f"/invite/{token}").status_code == 404


def test_a_refused_password_keeps_the_link(app, create_client, login_as, inbox, db):
    shop = create_client()
    _invite(login_as(shop.admin, shop), "pessoa@example.com")
    link = inbox.link(inbox.wait_for(1)[0])
    http = app.test_client()
    for password in ("password1", "curta"):
        refused = http.post(link, data={"name": "P", "password": password, "confirm": password})
        assert refused.status_code == 400
    assert "mais usadas" in http.post(
        link, data={"name": "P", "password": "iloveyou", "confirm": "iloveyou"}
    ).get_data(as_text=True)
    mismatch = http.post(link, data={"name": "P", "password": NEW_PASSWORD, "confirm": "outra"})
    assert mismatch.status_code == 400
    ok = http.post(link, data={"name": "P", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert ok.status_code == 302


def test_the_answer_and_the_mail_count_are_the_same_for_known_and_unknown(
    app, create_client, create_user, login_as, inbox
):
    shop = create_client()
    create_user("existente@example.com")
    admin = login_as(shop.admin, shop)
    known = _invite(admin, "existente@example.com", "CLIENT_USER")
    unknown = _invite(admin, "nova@example.com", "CLIENT_USER")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    inbox.wait_for(2)
    assert len(inbox.to("existente@example.com")) == len(inbox.to("nova@example.com")) == 1


def test_another_clients_invitation_cannot_be_resent(create_client, login_as, inbox, db):
    shop = create_client()
    other = create_client()
    _invite(login_as(other.admin, other), "pessoa@example.com")
    inbox.wait_for(1)
    invitation = db.session.scalar(sa.select(MemberInvitation))
    intruder = login_as(shop.admin, shop)
    assert intruder.post(f"/members/invitations/{invitation.id}/resend").status_code == 404
    assert intruder.post("/members/invitations/99999999999/resend").status_code == 404
    assert len(inbox.mails) == 1


def test_two_tabs_cannot_both_create_the_account(app, create_client, login_as, inbox, db):
    shop = create_client()
    _invite(login_as(shop.admin, shop), "pessoa@example.com")
    link = inbox.link(inbox.wait_for(1)[0])
    data = {"name": "P", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert app.test_client().post(link, data=data).status_code == 302
    assert app.test_client().post(link, data=data).status_code == 404
    count = db.session.scalar(
        sa.select(sa.func.count(ClientMember.id)).where(ClientMember.client_id == shop.id)
    )
    assert count == 2
