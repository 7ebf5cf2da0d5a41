"""A run's variables: what may be kept in ``FlowRun.variables``.

On its own so both the engine (a run's starting variables) and the step handlers
(:meth:`clickpro.services.flows.steps.base.Ctx.set_variables`) use it without the steps
importing the engine (which imports the steps).
"""

from __future__ import annotations

import json
from typing import Any

MAX_VARIABLES_BYTES = 64 * 1024


def clean_variables(values: dict) -> dict:
    """Scalars and short JSON only, capped in total size (the oldest keys survive)."""
    out: dict[str, Any] = {}
    size = 0
    for key, value in values.items():
        key = str(key)[:64]
        if isinstance(value, str):
            value = value[:2000]
        elif not isinstance(value, int | float | bool | type(None) | list | dict):
            value = str(value)[:2000]
        cost = len(json.dumps(value, ensure_ascii=False, default=str)) + len(key)
        if size + cost > MAX_VARIABLES_BYTES:
            continue
        size += cost
        out[key] = value
    return out
