"""Campaigns: save (wizard/API), start, pause, resume, cancel, retry — the front door the
UI, the REST API and Flask-Admin call, so they all get the same answers. Every refusal is a
:class:`CampaignError` with a pt_BR message.

The rules live by responsibility: lookups and labels in :mod:`.queries`, saving in
:mod:`.saving`, start/pause/resume/cancel in :mod:`.lifecycle`, the preparation job that
materializes a started campaign's rows in :mod:`.preparation`, the dispatcher jobs in
:mod:`.dispatchers`, sending rows again in :mod:`.retry`. Sending itself is :mod:`.dispatch`; the audience and
the materialized rows are :mod:`.audience`; windows, scheduled starts and the watchdog are
:mod:`.schedule`.
"""

from __future__ import annotations

from clickpro.services.campaigns.counters import (
    _announce,
    finish_if_done,
    refresh_counters,
    status_counts,
)
from clickpro.services.campaigns.dispatchers import (
    cancel_queued_rows,
    dispatcher_count,
    enqueue_dispatchers,
)
from clickpro.services.campaigns.form import CampaignError
from clickpro.services.campaigns.lifecycle import (
    cancel_campaign,
    pause_campaign,
    readiness_errors,
    resume_campaign,
    start_campaign,
)
from clickpro.services.campaigns.queries import (
    ACTIVE,
    EDITABLE,
    TIER_LIMITS,
    S,
    audience_of,
    get_campaign,
    lists_for_client,
    status_label,
    tier_warning,
)
from clickpro.services.campaigns.retry import (
    RETRYABLE_FAILED_CODES,
    mark_unknown_failed,
    requeue_rows,
    resend_unknown,
    retry_failed,
    retryable_failed_filter,
)
from clickpro.services.campaigns.saving import save_campaign

__all__ = [
    "ACTIVE",
    "EDITABLE",
    "RETRYABLE_FAILED_CODES",
    "TIER_LIMITS",
    "CampaignError",
    "S",
    "_announce",
    "audience_of",
    "cancel_campaign",
    "cancel_queued_rows",
    "dispatcher_count",
    "enqueue_dispatchers",
    "finish_if_done",
    "get_campaign",
    "lists_for_client",
    "mark_unknown_failed",
    "pause_campaign",
    "readiness_errors",
    "refresh_counters",
    "requeue_rows",
    "resend_unknown",
    "resume_campaign",
    "retry_failed",
    "retryable_failed_filter",
    "save_campaign",
    "start_campaign",
    "status_counts",
    "status_label",
    "tier_warning",
]
