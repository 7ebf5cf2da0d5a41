"""Fixtures for campaign tests: a tenant wired to the sandbox, with a template and lists."""

from __future__ import annotations

import pytest
from campaign_helpers import BODY_ONLY, Recorder, sandbox_template


@pytest.fixture
def recorder(app, sandbox):
    rec = Recorder(app.config["META_HTTP_TRANSPORT"])
    app.config["META_HTTP_TRANSPORT"] = rec
    app.extensions.pop("clickpro.meta_http", None)
    return rec


@pytest.fixture
def setup(app, sandbox, create_client, create_whatsapp_credential, create_template):
    """A tenant with a sandbox credential and an approved body-only template."""

    class Setup:
        pass

    s = Setup()
    s.sandbox = sandbox
    s.tenant = create_client()
    s.credential = create_whatsapp_credential(s.tenant)
    s.template = create_template(s.tenant, name="oferta", components=BODY_ONLY)
    sandbox_template(sandbox, "oferta", BODY_ONLY)
    return s
