"""The AI reads whether people are answering (issue #19: "the AI can read 'is the team
open now?'"): its instructions gain one line from the team's (else the client's) hours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clickpro.services.ai import reply as ai_reply
from clickpro.services.teams import hours

WEEKDAYS = {str(d): [["08:00", "12:00"], ["13:00", "18:00"]] for d in range(5)}


@pytest.mark.parametrize(
    ("now", "line"),
    [
        # Monday 10:00 in São Paulo: open
        (datetime(2026, 11, 23, 13, 0, tzinfo=UTC), "disponível agora."),
        # Monday 12:30, the lunch break: back today at 13h
        (datetime(2026, 11, 23, 15, 30, tzinfo=UTC), "fora do horário agora e volta hoje às 13h."),
        # Friday 19:00: back on Monday
        (datetime(2026, 11, 27, 22, 0, tzinfo=UTC), "volta segunda-feira às 8h."),
    ],
)
def test_instructions_say_whether_the_team_is_open(shop, openai_spy, monkeypatch, now, line):
    hours.save_hours(shop.tenant.id, None, {"weekly": WEEKDAYS, "timezone": "America/Sao_Paulo"})
    monkeypatch.setattr(ai_reply, "clock", lambda: now)
    shop.say("Oi, tem alguém aí?")
    instructions = openai_spy.bodies[-1]["instructions"]
    assert instructions.startswith("Você é a atendente da Loja IA.\n\n")
    assert line in instructions


def test_no_hours_kept_adds_nothing(shop, openai_spy):
    shop.say("Oi")
    assert openai_spy.bodies[-1]["instructions"] == "Você é a atendente da Loja IA."
