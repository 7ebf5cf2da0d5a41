"""The pt_BR phrase set (``phrases_pt_br.py``) against the sandbox classifier: at least
30 phrasings per intent, ≥ 97 % right overall and per intent; the known misses are
listed (and explained) in ``KNOWN_MISSES`` so a new one fails the test."""

from __future__ import annotations

import pytest
from phrases_pt_br import PHRASES

from clickpro.sandbox import openai_intents
from clickpro.services.ai import intents

# Phrases the lexicon gets wrong: none today. Add a miss here
# only with the reason it is acceptable.
KNOWN_MISSES: dict[str, str] = {}


def test_each_intent_has_at_least_30_phrasings():
    assert set(PHRASES) == {"human", "stop", "complaint", "other"}
    for intent, phrases in PHRASES.items():
        assert len(set(phrases)) >= 30, intent


def test_the_sandbox_classifier_gets_the_phrase_set_right():
    misses = []
    for intent, phrases in PHRASES.items():
        for phrase in phrases:
            got, confidence = openai_intents.classify(phrase)
            assert 0.0 <= confidence <= 1.0
            if got != intent and phrase not in KNOWN_MISSES:
                misses.append((intent, got, phrase))
    total = sum(len(p) for p in PHRASES.values())
    assert not misses, misses
    assert (total - len(KNOWN_MISSES)) / total >= 0.97
    for intent, phrases in PHRASES.items():
        wrong = sum(1 for p in phrases if p in KNOWN_MISSES)
        assert (len(phrases) - wrong) / len(phrases) >= 0.97, intent


@pytest.mark.parametrize(
    "text, expected",
    [
        ("quero parar de pagar juros", "other"),
        ("cancelar meu pedido", "other"),
        ("como faço pra parar o débito automático?", "other"),
        ("PARAAAA DE ME MANDAR MSGGG", "stop"),
        ("nao quero falar com robo!!", "human"),
        ("quero falar com o gerente, isso é um absurdo", "complaint"),
        ("o atendente foi grosso comigo", "complaint"),
        ("", "other"),
    ],
)
def test_edge_cases(text, expected):
    assert openai_intents.classify(text)[0] == expected


def test_structured_answers_the_intent_schema_only():
    answer = openai_intents.structured(intents.SCHEMA_NAME, intents.SCHEMA, "me tira da lista")
    assert answer == {"intent": "stop", "confidence": pytest.approx(0.9)}
    assert set(answer) == set(intents.SCHEMA["required"])
    other_schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    assert openai_intents.structured("address", other_schema, "Campinas") is None
    limited = {"type": "object", "properties": {"intent": {"enum": ["other", "human"]}}}
    assert openai_intents.structured("x", limited, "me tira da lista") == {"intent": "other"}


def test_folding_expands_whatsapp_abbreviations():
    assert openai_intents.fold("Vc q manda MSGS??? 😡") == "voce que manda mensagens ?"
