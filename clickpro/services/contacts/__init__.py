"""Contacts domain: contacts, lists, opt-outs and imports (``imports/``).

Sends ``contact_opted_out`` / ``contact_opted_in`` (:mod:`.optout`) and
``import_progress`` (:mod:`.imports.service`). Receives, when the ``optout`` plugin is
enabled for the app, ``message_received`` (stop/resubscribe keywords) and
``message_status_changed`` (Meta's 131050) in :mod:`.optout_rules`.
"""
