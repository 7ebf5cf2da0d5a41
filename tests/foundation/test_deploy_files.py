"""config/gunicorn.conf.py, config/example.env, .ci/run and the README's two commands."""

from __future__ import annotations

import os
import re
import runpy
import stat
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def gunicorn_conf() -> dict:
    return runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))


def _clean_env(monkeypatch, **env):
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "CLICKPRO_ENV",
        "SECRET_KEY",
        "CLICKPRO_ENCRYPTION_KEYS",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_gunicorn_uses_one_gevent_worker_with_room_for_idle_sockets(gunicorn_conf):
    # gevent: an idle Socket.IO connection is a greenlet, never one of a few threads
    assert gunicorn_conf["worker_class"] == "gevent"
    assert gunicorn_conf["workers"] == 1
    assert gunicorn_conf["worker_connections"] >= 2000
    assert "threads" not in gunicorn_conf


def test_gunicorn_stops_with_one_line_when_database_is_down(gunicorn_conf, monkeypatch, capsys):
    _clean_env(monkeypatch, DATABASE_URL="postgresql://nobody@127.0.0.1:1/x")
    with pytest.raises(SystemExit) as exit_info:
        gunicorn_conf["on_starting"](None)
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "database unreachable" in err and "DATABASE_URL" in err


def test_gunicorn_stops_with_one_line_when_redis_is_down(
    gunicorn_conf, monkeypatch, capsys, tmp_path
):
    _clean_env(
        monkeypatch,
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    with pytest.raises(SystemExit):
        gunicorn_conf["on_starting"](None)
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Redis unreachable" in err and "REDIS_URL" in err


def test_gunicorn_starts_when_everything_answers(gunicorn_conf, monkeypatch, tmp_path):
    _clean_env(monkeypatch, DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    assert gunicorn_conf["check_dependencies"]() is None
    gunicorn_conf["on_starting"](None)  # no SystemExit


def test_example_env_names_the_env_contract():
    from clickpro.config import ENV_CONTRACT

    text = (ROOT / "config" / "example.env").read_text()
    names = set(re.findall(r"^([A-Z_]+)=", text, re.MULTILINE))
    assert set(ENV_CONTRACT) <= names


def test_ci_script_runs_the_readme_test_command():
    ci = ROOT / ".ci" / "run"
    assert ci.stat().st_mode & stat.S_IXUSR
    script = ci.read_text()
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^(python3 -m venv .*)$", readme, re.MULTILINE)
    assert len(commands) == 2, commands
    assert commands[1] in script  # exactly the README's test command
    assert "clickpro run" in commands[0]
    assert "TEST_DATABASE_URL" in script and "TEST_REDIS_URL" in script
    assert re.search(r"\b5\b", script)  # pytest's "no tests collected" fails the run


def test_readme_screenshot_exists():
    assert (ROOT / "docs" / "screenshot.png").stat().st_size > 10_000
    assert "docs/screenshot.png" in (ROOT / "README.md").read_text()
    assert os.access(ROOT / "scripts" / "regenerate_initial_migration.sh", os.X_OK)
    assert os.access(ROOT / "scripts" / "update_translations.sh", os.X_OK)
