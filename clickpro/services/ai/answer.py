"""One AI answer with the knowledge base and the client's tools (issue #21).

:func:`ask` offers the Responses API ``file_search`` (when the client, or the
conversation's number, has ready documents) and h6's function tools; for each
``function_call`` it runs :func:`clickpro.services.ai.tools.call_tool` and sends the
``function_call_output`` back — at most :data:`MAX_ROUNDS` calls, the last one without
function tools so the model must answer. Token usage is summed over the rounds.

``no_knowledge``: a knowledge base was offered, the model searched it and found
nothing relevant (no result at or above ``AI_KNOWLEDGE_SCORE_THRESHOLD``, no citation) and no tool answered instead — the caller
then hands off ("Não sei, vou chamar um atendente.") rather than let the model invent.
Citation markers are stripped from the text: citations go to the run log only.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from clickpro.extensions import db
from clickpro.integrations.openai import Reply
from clickpro.models import AIReplyRun, Conversation
from clickpro.services.ai import effects
from clickpro.services.ai import tools as ai_tools
from clickpro.services.ai.knowledge.search import describe, file_search_tool, relevant
from clickpro.services.credentials import AssistantSettings, openai_for

MAX_ROUNDS = 3
INCLUDE = ["file_search_call.results"]
NO_KNOWLEDGE_TEXT = "Não sei, vou chamar um atendente."
# 【4:0†source】 (older models) and the private-use "filecite" markers of newer ones.
_MARKERS = re.compile(r"【[^】]{0,80}】|\ue200[^\ue201]{0,200}\ue201")


@dataclass
class AnswerResult:
    reply: Reply
    citations: list[dict] = field(default_factory=list)
    tool_calls: list[dict] = field(default_factory=list)
    no_knowledge: bool = False


def strip_markers(text: str) -> str:
    return re.sub(r"[ \t]{2,}", " ", _MARKERS.sub("", text or "")).strip()


def _number_of(client_id: int, conversation_id: int | None) -> int | None:
    if conversation_id is None:
        return None
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or conversation.client_id != client_id:
        return None
    return conversation.number_id


def ask(
    settings: AssistantSettings,
    instructions: str,
    context: list[dict],
    *,
    client_id: int,
    run_id: int | None,
    conversation_id: int | None,
    number_id: int | None = None,
    use_knowledge: bool = True,
) -> AnswerResult:
    """Answer ``context`` (raises OpenAIFailure / NoCredentials like a plain call)."""
    if number_id is None:
        number_id = _number_of(client_id, conversation_id)
    searcher = file_search_tool(client_id, number_id) if use_knowledge else None
    functions = ai_tools.tool_definitions(client_id, number_id)
    if searcher is None and not functions:  # nothing to offer: the plain one-call answer
        plain = effects.ask_openai(settings, instructions, context)
        return AnswerResult(dataclasses.replace(plain, text=strip_markers(plain.text)))
    _credential, gateway = openai_for(client_id)
    messages = list(context)
    tool_calls: list[dict] = []
    citations: list[dict] = []
    found_any = searched = False
    spent_in = spent_out = latency = 0
    reply: Reply | None = None
    for round_no in range(MAX_ROUNDS):
        offered = ([searcher] if searcher else []) + (
            functions if round_no < MAX_ROUNDS - 1 else []
        )
        reply = gateway.create_reply(
            model=settings.model, instructions=instructions, messages=messages,
            temperature=settings.temperature, max_output_tokens=settings.max_output_tokens,
            tools=offered or None, include=INCLUDE if searcher else None,
        )  # fmt: skip
        spent_in, spent_out = spent_in + reply.input_tokens, spent_out + reply.output_tokens
        latency += reply.latency_ms
        searched = searched or reply.searched
        found_any = found_any or bool(relevant(reply.file_search_results))
        for citation in reply.citations:
            if citation not in citations:
                citations.append(citation)
        if not reply.function_calls or round_no == MAX_ROUNDS - 1:
            break
        for call in reply.function_calls:
            result = ai_tools.call_tool(client_id, call.name, call.arguments, run_id=run_id)
            tool_calls.append(result.log)
            messages += [call.as_input(),
                         {"type": "function_call_output", "call_id": call.call_id,
                          "output": result.output}]  # fmt: skip
    assert reply is not None
    final = dataclasses.replace(reply, text=strip_markers(reply.text), input_tokens=spent_in,
                                output_tokens=spent_out, latency_ms=latency)  # fmt: skip
    no_knowledge = bool(searcher) and searched and not found_any and not citations
    no_knowledge = no_knowledge and not any(c.get("status") == "ok" for c in tool_calls)
    return AnswerResult(final, describe(client_id, citations), tool_calls, no_knowledge)


def record(run_id: int, result: AnswerResult) -> None:
    """Citations and tool calls on the run (the AI run log)."""
    run = db.session.get(AIReplyRun, run_id)
    if run is None:
        return
    run.citations = list(result.citations)
    run.tool_calls = list(run.tool_calls or []) + list(result.tool_calls)
    db.session.commit()
