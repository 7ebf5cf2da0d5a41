"""Inbound media kept by ClickPro: fetched once from Meta, stored per client, served to
the client's members, expired after ``MEDIA_RETENTION_DAYS``; audio is transcribed.

- :mod:`.store`: the store interface, the filesystem and S3-compatible stores;
- :mod:`.fetch`: the message_media row, the one download from Meta (the number's token);
- :mod:`.transcribe`: voice notes → text with the client's OpenAI key;
- :mod:`.retention`: the periodic deletion of files past retention;
- :mod:`.receivers`: ``message_received`` queues the fetch job (``clickpro.tasks.media``).
"""
