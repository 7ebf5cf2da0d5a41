"""English mode: the API docs intro and its language links, template language names
through gettext (not a raw code or a Portuguese literal), JS strings from the catalog."""

from __future__ import annotations

import re
from pathlib import Path

from clickpro.labels import LANGUAGE, label
from clickpro.services.templates.rules import LANGUAGES

JS = Path(__file__).parents[2] / "clickpro/static/js"


def test_api_docs_in_english_and_back(client):
    english = client.get("/api/v1/docs?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Authenticate with the header" in english
    assert "Autentique" not in english
    portuguese = client.get("/api/v1/docs?lang=pt_BR").get_data(as_text=True)
    assert '<html lang="pt-BR">' in portuguese and "Autentique com o cabeçalho" in portuguese
    assert 'href="?lang=en"' in portuguese and 'href="?lang=pt_BR"' in portuguese


def test_every_template_language_has_a_translatable_name(app):
    assert {code for code, _name in LANGUAGES} <= set(LANGUAGE)
    with app.test_request_context("/"):
        assert label("language", "pt_BR") == "Português (Brasil)"
        assert label("language", "xx_YY") == "xx_YY"  # unknown: visible, not hidden


def test_campaign_page_script_builds_no_text_of_its_own():
    """Rate, ETA and durations come from the catalog (they read "msg/s"/"ETA" in any
    language before)."""
    source = (JS / "campaign_progress.js").read_text()
    assert not re.search(r'" msg/s"|"ETA "|" min "|\+ " s"', source)
    for key in ("campaign.rate", "campaign.eta", "campaign.seconds", "campaign.minutes"):
        assert f't("{key}"' in source
