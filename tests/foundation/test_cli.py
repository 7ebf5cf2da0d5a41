"""The ``clickpro`` command group: accounts, idempotency, and one-line service errors."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from clickpro.__main__ import main
from clickpro.models import Client, ClientMember, Role, User
from clickpro.services.accounts.service import authenticate

BAD_DATABASE = "postgresql://nobody@127.0.0.1:1/nothing"
BAD_REDIS = "redis://127.0.0.1:1/0"


def test_create_superadmin_non_interactive_and_idempotent(runner, db):
    first = runner.invoke(
        args=["create-superadmin", "--email", "Root@Example.com", "--password", "senha-forte-1"],
        input="",
    )
    assert first.exit_code == 0, first.output
    assert "created super admin root@example.com" in first.output
    again = runner.invoke(
        args=["create-superadmin", "--email", "root@example.com", "--password", "outra-senha-2"]
    )
    assert again.exit_code == 0, again.output
    assert "updated" in again.output
    users = db.session.scalars(sa.select(User)).all()
    assert [u.email for u in users] == ["root@example.com"]
    assert users[0].is_super_admin
    assert authenticate("root@example.com", "outra-senha-2").id == users[0].id


def test_create_superadmin_rejects_short_password(runner, db):
    result = runner.invoke(args=["create-superadmin", "--email", "a@b.co", "--password", "123"])
    assert result.exit_code != 0
    assert "8 caracteres" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_create_client_prints_slug_and_is_idempotent(runner, db):
    args = [
        "create-client",
        "--name",
        "Padaria São João",
        "--admin-email",
        "dono@padaria.com.br",
        "--admin-password",
        "senha-segura-123",
    ]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "padaria-sao-joao"
    second = runner.invoke(args=args)
    assert second.exit_code == 0, second.output
    assert second.output.strip() == "padaria-sao-joao"
    assert db.session.scalar(sa.select(sa.func.count(Client.id))) == 1
    memberships = db.session.scalars(sa.select(ClientMember)).all()
    assert len(memberships) == 1 and memberships[0].role == Role.CLIENT_ADMIN


def test_create_client_bad_email_is_a_clear_error(runner, db):
    result = runner.invoke(
        args=[
            "create-client",
            "--name",
            "X",
            "--admin-email",
            "not-an-email",
            "--admin-password",
            "senha-segura-123",
        ]
    )
    assert result.exit_code != 0
    assert "E-mail inválido" in result.output
    assert "Traceback" not in result.output


def test_generate_key_is_a_valid_fernet_key(runner):
    from cryptography.fernet import Fernet

    result = runner.invoke(args=["generate-key"])
    assert result.exit_code == 0
    Fernet(result.output.strip())  # raises if malformed


def test_db_command_is_available(runner):
    result = runner.invoke(args=["db", "--help"])
    assert result.exit_code == 0
    assert "upgrade" in result.output


def _invoke_console(monkeypatch, args, **env):
    """Run the real console entry point (``clickpro``) with a clean env contract."""
    for name in ("DATABASE_URL", "REDIS_URL", "CLICKPRO_ENV", "FLASK_ENV"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return CliRunner().invoke(main, args, catch_exceptions=False, standalone_mode=True)


def _one_line_error(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


def test_run_with_unreachable_database_says_which_and_how(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    result = _invoke_console(monkeypatch, ["run", "--no-demo"], DATABASE_URL=BAD_DATABASE)
    assert result.exit_code != 0
    line = _one_line_error(result.output)
    assert "database unreachable" in line and "DATABASE_URL" in line


def test_worker_with_unreachable_redis_says_which_and_how(monkeypatch, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'ok.db'}"
    result = _invoke_console(
        monkeypatch, ["worker", "--burst"], DATABASE_URL=db_url, REDIS_URL=BAD_REDIS
    )
    assert result.exit_code != 0
    line = _one_line_error(result.output)
    assert "Redis unreachable" in line and "REDIS_URL" in line


def test_worker_with_unreachable_database(monkeypatch):
    result = _invoke_console(
        monkeypatch, ["worker", "--burst"], DATABASE_URL=BAD_DATABASE, REDIS_URL=BAD_REDIS
    )
    assert result.exit_code != 0
    assert "database unreachable" in _one_line_error(result.output)


def test_production_config_error_is_one_line(monkeypatch):
    result = _invoke_console(monkeypatch, ["worker"], CLICKPRO_ENV="production")
    assert result.exit_code == 2
    line = _one_line_error(result.output)
    assert "refusing to start in production" in line and "SECRET_KEY" in line
