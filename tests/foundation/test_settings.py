"""The typed settings table: every key the code reads is declared once, every setting comes
from ``CLICKPRO_<NAME>`` coerced to its type, the env contract still works, and
``clickpro config`` prints the effective values with secrets masked."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from clickpro import ConfigurationError, create_app
from clickpro.config import BY_NAME, CONFIGS, SETTINGS, Setting, SettingError, coerce, describe

PACKAGE = Path(__file__).resolve().parents[2] / "clickpro"
TEST_KEY = "dGVzdC1vbmx5LWNsaWNrcHJvLWtleS0zMi1ieXRlcyE="
# Reads of Flask config keys: config["X"], interval_config_key="X", transport_setting="X".
READ = re.compile(
    r'config\[\s*["\']([A-Z][A-Z0-9_]*)["\']\s*\]'
    r'|(?:interval_config_key|transport_setting)\s*=\s*["\']([A-Z][A-Z0-9_]*)["\']'
)
# The sandbox's own settings dict (``state.config``) is not the Flask config.
SECOND_DEFAULT = re.compile(r"(?<!state)(?<!_state)\.config\.get\(|\bcfg\.get\(|\bconfig\.get\(")


def _sources() -> list[tuple[Path, str]]:
    """The package's modules except the table itself (its docstring shows the syntax)."""
    paths = sorted(p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "config.py")
    return [(p, p.read_text(encoding="utf-8")) for p in paths]


def test_every_key_the_code_reads_is_declared_in_the_table():
    undeclared: dict[str, list[str]] = {}
    for path, text in _sources():
        for match in READ.finditer(text):
            name = match.group(1) or match.group(2)
            if name not in BY_NAME:
                undeclared.setdefault(name, []).append(str(path.relative_to(PACKAGE.parent)))
    assert undeclared == {}, "declare these in clickpro/config.py SETTINGS"


def test_no_config_read_repeats_a_default():
    offenders = []
    for path, text in _sources():
        if path.parts[-2] == "sandbox" and path.name != "embed.py":
            continue  # the sandbox's own settings dict (state.config), not Flask's
        for number, line in enumerate(text.splitlines(), start=1):
            if SECOND_DEFAULT.search(line) or re.search(r"config\.setdefault\(", line):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert offenders == []


def test_environment_classes_only_change_declared_settings():
    for cls in CONFIGS.values():
        names = {n for n in dir(cls) if n.isupper()}
        assert names <= set(BY_NAME), (cls.__name__, names - set(BY_NAME))
    for setting in SETTINGS:  # the table's defaults already have their declared types
        assert coerce(setting, setting.default) == setting.default, setting.name


def _env_app(monkeypatch, tmp_path, **env: str):
    monkeypatch.setenv("CLICKPRO_ENV", "testing")
    monkeypatch.setenv("CLICKPRO_ENCRYPTION_KEYS", TEST_KEY)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'settings.db'}")
    for name in ("REDIS_URL", "META_GRAPH_URL", "OPENAI_BASE_URL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return create_app()


def test_prefixed_environment_values_get_the_declared_types(monkeypatch, tmp_path):
    app = _env_app(
        monkeypatch,
        tmp_path,
        CLICKPRO_CAMPAIGN_UNKNOWN_GRACE_S="30",
        CLICKPRO_AI_MAX_ATTEMPTS="3.0",  # a whole float is still a count
        CLICKPRO_AI_DEBOUNCE_S="0",
        CLICKPRO_OUTBOUND_WEBHOOK_ALLOW_PRIVATE="yes",
        CLICKPRO_IMPORT_PREFETCH="false",
        CLICKPRO_PLUGINS="optout",
        CLICKPRO_LANGUAGES='["en"]',
        CLICKPRO_META_API_VERSION="24",  # a string even when it looks like a number
        CLICKPRO_PERMANENT_SESSION_LIFETIME="3600",
        CLICKPRO_CAMPAIGN_AUTO_RETRY_131049_H="24",
        CLICKPRO_DEMO="1",
    )
    config = app.config
    assert config["CAMPAIGN_UNKNOWN_GRACE_S"] == 30
    assert type(config["CAMPAIGN_UNKNOWN_GRACE_S"]) is int
    assert config["AI_MAX_ATTEMPTS"] == 3 and type(config["AI_MAX_ATTEMPTS"]) is int
    assert config["AI_DEBOUNCE_S"] == 0.0 and type(config["AI_DEBOUNCE_S"]) is float
    assert config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] is True
    assert config["IMPORT_PREFETCH"] is False
    assert config["PLUGINS"] == ("optout",) and app.extensions["clickpro.plugins"] == ("optout",)
    assert config["LANGUAGES"] == ("en",)
    assert config["META_API_VERSION"] == "24"
    assert config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=1)
    assert config["CAMPAIGN_AUTO_RETRY_131049_H"] == 24.0
    assert config["DEMO"] is True


def test_unset_settings_keep_the_table_defaults(monkeypatch, tmp_path):
    app = _env_app(monkeypatch, tmp_path)
    assert app.config["CAMPAIGN_UNKNOWN_GRACE_S"] == BY_NAME["CAMPAIGN_UNKNOWN_GRACE_S"].default
    assert app.config["AI_MAX_ATTEMPTS"] == 3 and app.config["AI_RETRY_MAX_S"] == 60.0
    assert app.config["DEMO"] is False


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CLICKPRO_CAMPAIGN_UNKNOWN_GRACE_S", "soon"),
        ("CLICKPRO_AI_MAX_ATTEMPTS", "2.5"),
        ("CLICKPRO_RQ_ASYNC", "maybe"),
        ("CLICKPRO_SQLALCHEMY_ENGINE_OPTIONS", "[1]"),
        ("CLICKPRO_PLUGINS", '{"a": 1}'),
    ],
)
def test_a_bad_value_stops_the_start_naming_the_variable(monkeypatch, tmp_path, variable, value):
    with pytest.raises(ConfigurationError) as caught:
        _env_app(monkeypatch, tmp_path, **{variable: value})
    assert f"{variable}={value!r}" in str(caught.value)


def test_a_bad_override_names_the_setting(tmp_path):
    with pytest.raises(ConfigurationError, match="WEBHOOK_MAX_ATTEMPTS='many'"):
        create_app(
            {
                "CONFIG_NAME": "testing",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                "CLICKPRO_ENCRYPTION_KEYS": TEST_KEY,
                "WEBHOOK_MAX_ATTEMPTS": "many",
            }
        )


def test_the_env_contract_names_keep_working(monkeypatch, tmp_path):
    app = _env_app(
        monkeypatch,
        tmp_path,
        DATABASE_URL="postgres://clickpro:s3cret@db.example:5432/clickpro",
        REDIS_URL="redis://:r3dis@cache.example:6379/2",
        SECRET_KEY="a-long-enough-secret-key-for-tests",
        META_GRAPH_URL="http://graph.example",
        META_APP_SECRET="app-secret",
        OPENAI_BASE_URL="http://openai.example/v1",
    )
    config = app.config
    assert config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://clickpro:s3cret@db.example:5432/clickpro"
    )
    assert config["REDIS_URL"] == "redis://:r3dis@cache.example:6379/2"
    assert config["EMBEDDED"] is False  # a real Redis: separate worker processes
    assert config["SANDBOX_ENABLED"] is False  # real URLs: no sandbox unless CLICKPRO_SANDBOX
    assert config["SECRET_KEY"] == "a-long-enough-secret-key-for-tests"
    assert config["META_GRAPH_URL"] == "http://graph.example"
    assert config["META_APP_SECRET"] == "app-secret"
    assert config["CLICKPRO_ENCRYPTION_KEYS"] == TEST_KEY


def test_clickpro_sandbox_keeps_the_sandbox_with_real_urls(monkeypatch, tmp_path):
    app = _env_app(monkeypatch, tmp_path, META_GRAPH_URL="http://x", CLICKPRO_SANDBOX="1")
    assert app.config["SANDBOX_ENABLED"] is True


def test_describe_masks_secrets_and_url_passwords():
    lines = describe(
        {
            **{s.name: s.default for s in SETTINGS},
            "SECRET_KEY": "super-secret-value",
            "META_APP_SECRET": "app-secret-value",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://clickpro:pa55@db:5432/clickpro",
            "REDIS_URL": "redis://:r3dis@cache:6379/0",
            "CAMPAIGN_UNKNOWN_GRACE_S": 30,
        }
    )
    text = "\n".join(lines)
    assert len(lines) == len(SETTINGS)
    for secret in ("super-secret-value", "app-secret-value", "pa55", "r3dis", TEST_KEY):
        assert secret not in text
    assert 'SECRET_KEY="****"' in lines
    assert 'SQLALCHEMY_DATABASE_URI="postgresql+psycopg://clickpro:****@db:5432/clickpro"' in lines
    assert 'REDIS_URL="redis://:****@cache:6379/0"' in lines
    assert "CAMPAIGN_UNKNOWN_GRACE_S=30" in lines
    assert 'PLUGINS=["optout", "ai_reply", "flows"]' in lines
    assert "PERMANENT_SESSION_LIFETIME=43200" in lines


def test_coerce_rejects_what_does_not_fit():
    count = Setting("N", int, 1, "a count")
    assert coerce(count, 3.0) == 3 and coerce(count, "7") == 7
    for bad in (True, 2.5, "x", [1]):
        with pytest.raises(SettingError, match="N expects an integer"):
            coerce(count, bad)
    with pytest.raises(SettingError, match="a value is required"):
        coerce(count, None)
    assert coerce(Setting("M", int, None, "", nullable=True), None) is None


def test_clickpro_config_command_prints_an_int(monkeypatch, tmp_path):
    from clickpro.__main__ import main

    monkeypatch.setenv("CLICKPRO_CAMPAIGN_UNKNOWN_GRACE_S", "30")
    monkeypatch.setenv("CLICKPRO_ENV", "testing")
    monkeypatch.setenv("CLICKPRO_ENCRYPTION_KEYS", TEST_KEY)
    monkeypatch.setenv("DATABASE_URL", "postgresql://clickpro:pa55@db.example/clickpro")
    monkeypatch.setenv("SECRET_KEY", "a-long-enough-secret-key-for-tests")
    result = CliRunner().invoke(main, ["config"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "CAMPAIGN_UNKNOWN_GRACE_S=30" in lines
    assert 'SECRET_KEY="****"' in lines and 'CLICKPRO_ENCRYPTION_KEYS="****"' in lines
    assert 'SQLALCHEMY_DATABASE_URI="postgresql+psycopg://clickpro:****@db.example/clickpro"' in (
        lines
    )
    assert "pa55" not in result.output and TEST_KEY not in result.output


def test_clickpro_config_in_a_real_process(tmp_path):
    """The command line of the issue, as an operator types it."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CLICKPRO_ENV": "testing",
        "CLICKPRO_ENCRYPTION_KEYS": TEST_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "CLICKPRO_CAMPAIGN_UNKNOWN_GRACE_S": "30",
    }
    done = subprocess.run(
        [sys.executable, "-m", "clickpro", "config"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PACKAGE.parent,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "CAMPAIGN_UNKNOWN_GRACE_S=30" in done.stdout.splitlines()


def test_a_bad_variable_is_one_clear_line_from_the_cli(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CLICKPRO_ENV": "testing",
        "CLICKPRO_ENCRYPTION_KEYS": TEST_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "CLICKPRO_CAMPAIGN_UNKNOWN_GRACE_S": "half-a-minute",
    }
    done = subprocess.run(
        [sys.executable, "-m", "clickpro", "config"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PACKAGE.parent,
        check=False,
    )
    assert done.returncode == 2
    assert "CLICKPRO_CAMPAIGN_UNKNOWN_GRACE_S='half-a-minute'" in done.stderr
    assert "Traceback" not in done.stderr


def test_readme_and_example_env_name_only_real_variables():
    from clickpro.config import BY_ENV_NAME, ENV_CONTRACT, NOT_SETTINGS

    root = PACKAGE.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", readme, flags=re.M)
    example = re.findall(
        r"^#?\s*([A-Z][A-Z0-9_]*)=", (root / "config" / "example.env").read_text(), flags=re.M
    )
    known = set(ENV_CONTRACT) | set(BY_ENV_NAME) | NOT_SETTINGS | {"FORWARDED_ALLOW_IPS"}
    assert table and set(table) <= known, set(table) - known
    assert set(example) <= known, set(example) - known
    assert "clickpro config" in readme
