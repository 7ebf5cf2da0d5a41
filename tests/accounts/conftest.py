"""Account tests: a real SMTP server (aiosmtpd) on a free local port receives every mail.

``make_app`` is wrapped so every app of these tests sends through that server (plain
SMTP on loopback, ``?starttls=off``) with links under ``http://clickpro.test``.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller

PUBLIC_URL = "http://clickpro.test"
LINK_RE = re.compile(re.escape(PUBLIC_URL) + r"/[^\s\"'<>]+")


class Inbox:
    """aiosmtpd handler keeping what arrives: (envelope recipients, parsed message)."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], EmailMessage]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.content)
        with self._lock:
            self.mails.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.mails) >= count:
                    return [m for _, m in self.mails]
            time.sleep(0.02)
        raise AssertionError(f"expected {count} mail(s), got {len(self.mails)}")

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for rcpt, m in self.mails if address in rcpt]

    @staticmethod
    def text(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return part.get_content()

    @staticmethod
    def html(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("html",))
        assert part is not None
        return part.get_content()

    def link(self, message: EmailMessage) -> str:
        """The path of the one link of the mail (the same in its text and HTML parts)."""
        links = set(LINK_RE.findall(self.text(message)))
        assert len(links) == 1, links
        link = links.pop()
        assert link in self.html(message)
        return link[len(PUBLIC_URL) :]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port  # type: ignore[attr-defined]
    yield inbox
    controller.stop()


@pytest.fixture
def make_app(make_app, smtp_server, tmp_path):
    def _make(**overrides):
        config = {
            "SMTP_URL": f"smtp://127.0.0.1:{smtp_server.port}?starttls=off",
            "MAIL_SUPPRESS": False,
            "PUBLIC_URL": PUBLIC_URL,
            "MAIL_DIR": str(tmp_path / "mail"),
        }
        config.update(overrides)
        return make_app(**config)

    return _make


@pytest.fixture
def inbox(smtp_server) -> Inbox:
    return smtp_server


@pytest.fixture
def sign_in(app):
    """``sign_in(email, password)``: a fresh browser signed in through the login form."""

    def _sign_in(email: str, password: str):
        http = app.test_client()
        response = http.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return http

    return _sign_in


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on (a mail server that is down)."""
    return free_port()
