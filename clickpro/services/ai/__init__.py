"""AI domain: automatic replies to inbound messages (OpenAI), their claims and activity.

Receives ``message_received`` (:mod:`.trigger`, connected by the ``ai_reply`` plugin for
the app that enables it) and schedules the ``ai.reply_job`` job; sends
``conversation_updated`` (hand-offs, pauses) and, through messaging, ``message_created``.
"""
