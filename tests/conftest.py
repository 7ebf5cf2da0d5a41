"""Shared fixtures: the app on SQLite+fakeredis, or on real PostgreSQL+Redis when
TEST_DATABASE_URL / TEST_REDIS_URL are set (CI sets them), plus factory fixtures."""

from __future__ import annotations

import contextvars
import functools
import itertools
import os
import signal
import threading

import pytest
import rule_builder_cache
import shared_browser
import shared_engines
import sqlalchemy as sa
import template_code_cache
from flask import has_app_context
from flask.testing import FlaskClient

from clickpro import create_app
from clickpro.config import normalize_database_url
from clickpro.extensions import db as _db
from clickpro.models import (
    Client,
    ClientMember,
    Contact,
    ContactList,
    ContactListMember,
    Message,
    Role,
    Template,
    User,
)


def _per_xdist_worker(environ: dict) -> None:
    """Give each pytest-xdist worker its own PostgreSQL database and Redis db.

    Runs at import, before any test module reads ``TEST_DATABASE_URL``/``TEST_REDIS_URL``
    (several do, for live servers and workers): worker ``gwK`` uses ``<db>_gwK`` and Redis
    db ``base + K``. Without xdist nothing changes.
    """
    worker = environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    index = int(worker[2:])
    if environ.get("TEST_DATABASE_URL", "").startswith("postgres"):
        url = sa.engine.make_url(environ["TEST_DATABASE_URL"])
        environ["TEST_DATABASE_URL"] = url.set(
            database=f"{url.database}_{worker}"
        ).render_as_string(hide_password=False)
    if environ.get("TEST_REDIS_URL"):
        base, _, db_index = environ["TEST_REDIS_URL"].rpartition("/")
        number = (int(db_index) if db_index.isdigit() else 0) + index
        environ["TEST_REDIS_URL"] = f"{base}/{number % 16}"


def _cache_plugin_entry_points() -> None:
    """Look the ``clickpro.plugins`` entry points up once per process, not per app.

    ``importlib.metadata.entry_points`` reads every installed distribution's metadata
    (~5 ms) and ``init_plugins`` asks once per enabled plugin: ~15 ms of every test's
    ``create_app``. Nothing installs a distribution during the session.
    """
    import clickpro.plugins

    lookup = functools.cache(clickpro.plugins.entry_points)
    clickpro.plugins.entry_points = lambda **selection: lookup(**selection)  # type: ignore[assignment]


_per_xdist_worker(os.environ)  # type: ignore[arg-type]
_cache_plugin_entry_points()
rule_builder_cache.install()  # every test's create_app reuses the compiled URL builders
shared_engines.install()  # and the engine (with its open connections) of its database URL
template_code_cache.install()  # and the compiled templates
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
TEST_ENCRYPTION_KEY = "dGVzdC1vbmx5LWNsaWNrcHJvLWtleS0zMi1ieXRlcyE="
PASSWORD = "senha-segura-123"
_counter = itertools.count(1)
_schema_ready: set[str] = set()


def ensure_postgres_database(url: str) -> None:
    """Create the test database if it does not exist (each developer may use their own)."""
    engine_url = sa.engine.make_url(url)
    admin = sa.create_engine(engine_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": engine_url.database}
        )
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{engine_url.database}"'))
        # A test database need not survive a server crash: commits (every fixture row,
        # every request, the workers') do not wait for the WAL to reach the disk. What
        # other sessions see is the same; only durability changes.
        conn.execute(
            sa.text(f'ALTER DATABASE "{engine_url.database}" SET synchronous_commit = off')
        )
    admin.dispose()


BROWSER_FIXTURE = "browser_page"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@pytest.fixture(autouse=True)
def restore_stop_signal_handlers():
    """An RQ worker run in the test process (``worker.work(burst=True)``) installs its own
    SIGINT/SIGTERM handlers and never puts pytest's back: a later Ctrl-C or CI's stop
    then raised RQ's StopRequested inside whatever ran (a gc callback, a lock wait)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    yield
    for signum, handler in saved.items():
        if signal.getsignal(signum) is not handler and handler is not None:
            signal.signal(signum, handler)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items) -> None:
    """The browser tests are one xdist group: one worker runs them back to back, on one
    shared Chromium (tests/shared_browser.py) instead of one launch per test."""
    for item in items:
        if BROWSER_FIXTURE in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Stop the shared Chromium (and Playwright's event loop) after the last browser
    test of a run: no other test runs while it is started."""
    try:
        return (yield)
    finally:
        if nextitem is None or BROWSER_FIXTURE not in getattr(nextitem, "fixturenames", ()):
            shared_browser.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        url = normalize_database_url(TEST_DATABASE_URL)
        ensure_postgres_database(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


class IsolatedClient(FlaskClient):
    """A test client whose requests run as in production.

    The test keeps an app context pushed for its own direct database calls (like
    flaskr's tests, but for the whole test). A request must not share it: each one runs
    in a fresh ``contextvars`` context, so Flask pushes an app context of its own (its
    own ``g``, its own database session) exactly as under gunicorn. The test's session
    is committed before (the request sees what the test wrote) and expired after (the
    test reads what the request wrote).
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            _db.session.commit()
        context = contextvars.Context()
        try:
            response = context.run(super().open, *args, **kwargs)
            if response.is_streamed:  # stream_with_context: read it where it was pushed
                context.run(response.make_sequence)
            return response
        finally:
            if has_app_context():
                _db.session.expire_all()


def base_test_config(database_url: str) -> dict:
    return {
        "CONFIG_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": TEST_REDIS_URL,
        "EMBEDDED": True,  # single test process: no Socket.IO message queue
        "SANDBOX_ENABLED": False,
        "CLICKPRO_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        "META_APP_SECRET": "test-app-secret",
        "META_VERIFY_TOKEN": "test-verify-token",
        "SECRET_KEY": "test-secret-key",
        "RQ_ASYNC": False,
    }


LEAKED_TRANSACTIONS_SQL = sa.text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    " AND state LIKE 'idle in transaction%' AND state_change < now() - interval '2 seconds'"
)


def end_leaked_transactions(engine) -> None:
    """End transactions a finished test left open (they would block TRUNCATE/DROP forever)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        conn.execute(LEAKED_TRANSACTIONS_SQL)


@pytest.fixture(scope="session")
def release_database_locks():
    """``release(engine)``: end leaked transactions before schema changes (module fixtures)."""
    return end_leaked_transactions


USED_SEQUENCES_SQL = sa.text(
    "SELECT quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename), s.start_value,"
    " owner.relname"
    " FROM pg_sequences s"
    " JOIN pg_class seq ON seq.relname = s.sequencename"
    " AND seq.relnamespace = to_regnamespace(s.schemaname)"
    " JOIN pg_depend d ON d.objid = seq.oid AND d.classid = 'pg_class'::regclass"
    " AND d.deptype IN ('a', 'i')"
    " JOIN pg_class owner ON owner.oid = d.refobjid"
    " WHERE s.schemaname = current_schema() AND s.last_value IS NOT NULL"
)


def touched_tables(conn, tables) -> tuple[set[str], list[tuple[str, int]]]:
    """The tables a test wrote to (rows in them, or their id sequence used since the
    reset) and those used sequences with their start values.

    Emptying all sixty tables before every test took ~0.3 s although most tests write to
    a handful; one probe of ``EXISTS`` per table plus the used sequences (``last_value``
    is NULL again after a reset) finds them in a few milliseconds.
    """
    probe = " UNION ALL ".join(
        f'SELECT {index} WHERE EXISTS (SELECT 1 FROM "{table.name}")'
        for index, table in enumerate(tables)
    )
    written = {tables[row[0]].name for row in conn.execute(sa.text(probe))}
    sequences = []
    for sequence, start, owner in conn.execute(USED_SEQUENCES_SQL):
        written.add(owner)
        sequences.append((sequence, start))
    return written, sequences


def empty_postgres_tables(conn, tables) -> None:
    """Empty the touched tables and restart their used sequences, without TRUNCATE.

    TRUNCATE swaps each table's files, and ``CASCADE`` from ``clients`` reaches nearly
    every table; PostgreSQL then flushes the WAL at commit whatever
    ``synchronous_commit`` says (the commit drops files): 0.4–1.4 s per test while other
    processes write to the disk. ``DELETE`` children first (``tables`` is sorted parents
    first; the untouched tables are empty, so no foreign key blocks it) and ``setval``
    (in place, no new file) leave the same state: empty tables, sequences at their start.
    Nothing here needs to survive a crash of the server, so the commit does not wait
    for the disk.
    """
    written, sequences = touched_tables(conn, tables)
    if not written:
        return
    conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
    conn.execute(sa.text("SET LOCAL lock_timeout = '20s'"))  # fail, never hang
    for table in reversed(tables):
        if table.name in written:
            conn.execute(table.delete())
    for sequence, start in sequences:  # like RESTART IDENTITY: next value is the start
        conn.execute(sa.text("SELECT setval(:s, :v, false)"), {"s": sequence, "v": start})


def reset_database(app) -> None:
    """Fresh schema once per session and URL, then empty tables before every test."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        end_leaked_transactions(_db.engine)
        if url not in _schema_ready:
            _db.drop_all()
            if url.startswith("postgresql"):
                with _db.engine.begin() as conn:
                    conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
                    conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS unaccent"))
            _db.create_all()
            _schema_ready.add(url)
            return
        tables = _db.metadata.sorted_tables
        with _db.engine.begin() as conn:
            if url.startswith("postgresql"):
                empty_postgres_tables(conn, tables)
            else:
                for table in reversed(tables):
                    conn.execute(table.delete())


@pytest.fixture
def make_app(database_url):
    """Build an app with extra settings (on the shared, freshly emptied test database)."""

    apps = []

    def _make(**overrides):
        config = base_test_config(database_url)
        config.update(overrides)
        app = create_app(config)
        app.test_client_class = IsolatedClient
        apps.append(app)
        return app

    yield _make
    for built in apps:  # give the connections back: PostgreSQL allows only so many
        with built.app_context():
            for engine in _db.engines.values():
                if not shared_engines.is_shared(engine):  # those stay pooled for the next
                    engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    reset_database(app)
    if TEST_REDIS_URL:
        from clickpro.tasks import redis_connection

        redis_connection(app).flushdb()
    ctx = app.app_context()
    ctx.push()
    yield app
    _db.session.remove()
    ctx.pop()


@pytest.fixture
def client(app):
    """Flask test client (the tenant factory is ``create_client``)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def sandbox(app):
    """The Meta/OpenAI sandbox mounted in-process; webhooks come back into ``app``.

    Webhook delivery is manual: call ``sandbox.flush()`` (or POST /_control/flush).
    Returns the sandbox's state object.
    """
    import httpx

    from clickpro.sandbox import create_sandbox_app

    sandbox_app = create_sandbox_app(
        {
            "webhook_url": "http://app.test/webhook",
            "webhook_transport": httpx.WSGITransport(app=app),
            "app_secret": app.config["META_APP_SECRET"],
            "webhook_delivery": "manual",
            "template_review_delay_s": 0.0,
        }
    )
    transport = httpx.WSGITransport(app=sandbox_app)
    app.config.update(
        META_GRAPH_URL="http://sandbox.test/graph",
        OPENAI_BASE_URL="http://sandbox.test/openai/v1",
        META_HTTP_TRANSPORT=transport,
        OPENAI_HTTP_TRANSPORT=transport,
    )
    app.extensions.pop("clickpro.meta_http", None)
    app.extensions.pop("clickpro.openai_http", None)
    state = sandbox_app.extensions["sandbox"]
    state.app = sandbox_app
    return state


@pytest.fixture
def create_user(app):
    def _create(email: str | None = None, password: str = PASSWORD, **kwargs) -> User:
        user = User(
            email=email or f"user{next(_counter)}@example.com",
            name=kwargs.pop("name", "Usuário"),
            **kwargs,
        )
        user.set_password(password)
        _db.session.add(user)
        _db.session.commit()
        return user

    return _create


@pytest.fixture
def create_client(app, create_user):
    """Create a tenant (``Client``) with a CLIENT_ADMIN; ``client.admin`` is that user."""

    def _create(name: str | None = None, admin: User | None = None, **kwargs) -> Client:
        n = next(_counter)
        tenant = Client(
            name=name or f"Cliente {n}", slug=kwargs.pop("slug", f"cliente-{n}"), **kwargs
        )
        _db.session.add(tenant)
        _db.session.flush()
        admin = admin or create_user(f"admin{n}@example.com")
        _db.session.add(ClientMember(client_id=tenant.id, user_id=admin.id, role=Role.CLIENT_ADMIN))
        _db.session.commit()
        tenant.admin = admin
        return tenant

    return _create


@pytest.fixture
def create_member(app, create_user):
    def _create(tenant: Client, role: str = Role.CLIENT_USER, **kwargs) -> User:
        user = create_user(**kwargs)
        _db.session.add(ClientMember(client_id=tenant.id, user_id=user.id, role=role))
        _db.session.commit()
        return user

    return _create


@pytest.fixture
def login_as(client):
    """Log the test client in as ``user`` (optionally choosing the client in use)."""

    def _login(user: User, tenant: Client | None = None):
        with client.session_transaction() as session:
            session.clear()
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            if tenant is not None:
                session["client_id"] = tenant.id
        return client

    return _login


# Inbox state that lived on contacts before conversations (one per contact per number):
# create_contact(..., last_message_at=...) still works and puts it on the contact's
# conversation on the client's first number (the old single-number meaning).
CONVERSATION_KWARGS = {
    "last_inbound_at": "last_inbound_at",
    "last_message_at": "last_message_at",
    "last_message_preview": "last_message_preview",
    "unread_count": "unread_count",
    "assigned_user_id": "assigned_user_id",
    "ai_paused": "ai_paused",
    "conversation_status": "status",
}


@pytest.fixture
def create_contact(app, create_whatsapp_credential):
    def _create(
        tenant: Client, phone: str | None = None, name: str = "Contato", **kwargs
    ) -> Contact:
        n = next(_counter)
        state = {
            CONVERSATION_KWARGS[k]: kwargs.pop(k) for k in list(kwargs) if k in CONVERSATION_KWARGS
        }
        contact = Contact(
            client_id=tenant.id,
            phone_e164=phone or f"+55119{n:08d}",
            name=name,
            **kwargs,
        )
        if contact.wa_id is None and contact.phone_e164:
            contact.wa_id = contact.phone_e164.lstrip("+")
        _db.session.add(contact)
        _db.session.commit()
        if state:
            from clickpro.services.conversations import get_or_create_conversation

            number = _number_of(tenant, create_whatsapp_credential)
            conversation = get_or_create_conversation(tenant.id, contact.id, number.id)
            for key, value in state.items():
                setattr(conversation, key, value)
            _db.session.commit()
        return contact

    return _create


def _number_of(tenant: Client, create_whatsapp_credential):
    """The client's first number; one with a fresh phone number id when it has none (not
    on the sandbox: tests that send use ``wired``-style fixtures)."""
    from clickpro.services.conversations import first_number

    number = first_number(tenant.id)
    if number is None:
        n = next(_counter)
        number = create_whatsapp_credential(
            tenant,
            {
                "access_token": f"token-{n}",
                "waba_id": f"8{n:014d}",
                "phone_number_id": f"9{n:014d}",
            },
        )
    return number


@pytest.fixture
def create_list(app):
    def _create(tenant: Client, name: str | None = None, contacts=()) -> ContactList:
        contact_list = ContactList(client_id=tenant.id, name=name or f"Lista {next(_counter)}")
        _db.session.add(contact_list)
        _db.session.flush()
        for contact in contacts:
            _db.session.add(ContactListMember(list_id=contact_list.id, contact_id=contact.id))
        _db.session.commit()
        return contact_list

    return _create


DEFAULT_TEMPLATE_COMPONENTS = [
    {
        "type": "BODY",
        "text": "Olá {{1}}, temos uma oferta para você!",
        "example": {"body_text": [["Maria"]]},
    },
    {"type": "FOOTER", "text": "Responda SAIR para não receber mais"},
]


@pytest.fixture
def create_template(app):
    def _create(
        tenant: Client, name: str | None = None, status: str = "APPROVED", **kwargs
    ) -> Template:
        if "waba_id" not in kwargs:
            # Like a real one: the template of the client's (first) WABA, when it has one.
            from clickpro.models import WhatsAppCredential

            kwargs["waba_id"] = _db.session.scalar(
                sa.select(WhatsAppCredential.waba_id)
                .where(WhatsAppCredential.client_id == tenant.id)
                .order_by(WhatsAppCredential.id)
                .limit(1)
            )
        template = Template(
            client_id=tenant.id,
            name=name or f"modelo_{next(_counter)}",
            language=kwargs.pop("language", "pt_BR"),
            category=kwargs.pop("category", "MARKETING"),
            components=kwargs.pop("components", DEFAULT_TEMPLATE_COMPONENTS),
            status=status,
            **kwargs,
        )
        _db.session.add(template)
        _db.session.commit()
        return template

    return _create


@pytest.fixture
def create_message(app):
    def _create(tenant: Client, contact: Contact, **kwargs) -> Message:
        kwargs.setdefault("direction", "IN")
        kwargs.setdefault("author", "CONTACT" if kwargs["direction"] == "IN" else "AGENT")
        kwargs.setdefault("status", "RECEIVED" if kwargs["direction"] == "IN" else "SENT")
        kwargs.setdefault("body", "Olá")
        conversation = kwargs.pop("conversation", None)
        if conversation is not None:  # a message of that conversation (contact + number)
            kwargs.setdefault("number_id", conversation.number_id)
            kwargs.setdefault("conversation_id", conversation.id)
        elif "number_id" not in kwargs:  # like the app: always the number it used
            from clickpro.services.conversations import first_number

            number = first_number(tenant.id)
            kwargs["number_id"] = number.id if number is not None else None
        message = Message(client_id=tenant.id, contact_id=contact.id, **kwargs)
        _db.session.add(message)
        _db.session.commit()
        return message

    return _create


@pytest.fixture
def create_conversation(app, create_whatsapp_credential):
    """The conversation of ``contact`` on ``number`` with inbox state from ``state``
    (status, unread_count, last_message_at, last_inbound_at, ai_paused...).

    ``number`` defaults to the client's first number; a client without one gets a VALID
    credential with a fresh phone number id (not on the sandbox: sends need ``wired``).
    """
    from clickpro.services.conversations import get_or_create_conversation

    def _create(tenant: Client, contact: Contact, number=None, **state):
        number = number or _number_of(tenant, create_whatsapp_credential)
        conversation = get_or_create_conversation(tenant.id, contact.id, number.id)
        for name, value in state.items():
            setattr(conversation, name, value)
        _db.session.commit()
        return conversation

    return _create


@pytest.fixture
def create_whatsapp_credential(app):
    """Store a VALID WhatsApp credential for ``tenant`` pointing at a sandbox account.

    ``account`` is what the sandbox's ``create_account`` returns (dict with access_token,
    waba_id, phone_number_id, app_id, app_secret); default: the seeded demo account.
    """
    from clickpro.crypto import encrypt, last4
    from clickpro.models import WhatsAppCredential

    def _create(tenant: Client, account: dict | None = None, **kwargs):
        account = account or {
            "access_token": "sandbox-token",
            "waba_id": "100000000000001",
            "phone_number_id": "100000000000011",
            "app_id": "100000000000021",
        }
        credential = WhatsAppCredential(
            client_id=tenant.id,
            access_token_enc=encrypt(account["access_token"]),
            token_last4=last4(account["access_token"]),
            waba_id=account["waba_id"],
            phone_number_id=account["phone_number_id"],
            app_id=account.get("app_id"),
            display_phone_number=account.get("display_phone_number", "+55 11 3000-0000"),
            status="VALID",
            throughput_mps=kwargs.pop("throughput_mps", account.get("throughput_mps", 80)),
            messaging_tier=kwargs.pop("messaging_tier", "TIER_1K"),
            **kwargs,
        )
        if account.get("app_secret"):
            credential.app_secret_enc = encrypt(account["app_secret"])
        _db.session.add(credential)
        _db.session.commit()
        return credential

    return _create


@pytest.fixture
def tenants(create_client, create_member):
    """Two clients A and B, each with an admin and an agent."""

    class Pair:
        pass

    pair = Pair()
    pair.a = create_client("Loja A")
    pair.a_user = create_member(pair.a, Role.CLIENT_USER)
    pair.b = create_client("Loja B")
    pair.b_user = create_member(pair.b, Role.CLIENT_USER)
    return pair
