#!/usr/bin/env python
"""Opt-in: run the pt_BR intent phrase set against a REAL OpenAI key (issue #21).

    OPENAI_API_KEY=sk-... python scripts/intent_check_real.py [--model gpt-4.1-mini] [--limit N]

Sends each phrase of ``tests/ai/intents/phrases_pt_br.py`` through the same request the
app makes (``clickpro.services.ai.intents``: instructions, json_schema text format,
temperature 0) and prints the accuracy per intent, the misses and the tokens used.
Never run by the tests; costs a few cents (≈ 140 calls of ~200 tokens).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _phrases() -> dict[str, list[str]]:
    path = ROOT / "tests" / "ai" / "intents" / "phrases_pt_br.py"
    spec = importlib.util.spec_from_file_location("phrases_pt_br", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PHRASES


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="default: the app's intent model")
    parser.add_argument("--limit", type=int, default=0, help="phrases per intent (0: all)")
    args = parser.parse_args()
    key = os.environ.get("OPENAI_API_KEY", "").strip()
    if not key:
        print("OPENAI_API_KEY is not set: nothing to do.", file=sys.stderr)
        return 2

    from openai import OpenAI

    from clickpro.services.ai import intents

    client = OpenAI(api_key=key, base_url=os.environ.get("OPENAI_BASE_URL") or None)
    model = args.model or intents.DEFAULT_INTENT_MODEL
    totals = {"ok": 0, "all": 0, "input_tokens": 0, "output_tokens": 0}
    for expected, phrases in _phrases().items():
        chosen = phrases[: args.limit] if args.limit else phrases
        right = 0
        for phrase in chosen:
            response = client.responses.create(
                model=model,
                instructions=intents.INSTRUCTIONS,
                input=[{"role": "user", "content": phrase}],
                temperature=0,
                max_output_tokens=40,
                store=False,
                text={"format": intents.TEXT_FORMAT},
            )
            if response.usage:
                totals["input_tokens"] += response.usage.input_tokens
                totals["output_tokens"] += response.usage.output_tokens
            try:
                got = json.loads(response.output_text or "{}").get("intent")
            except ValueError:
                got = None
            if got == expected:
                right += 1
            else:
                print(f"  miss  {expected:>9} → {got!s:<9} {phrase}")
        totals["ok"] += right
        totals["all"] += len(chosen)
        print(f"{expected:>9}: {right}/{len(chosen)} ({100 * right / max(1, len(chosen)):.1f} %)")
    print(
        f"    total: {totals['ok']}/{totals['all']} "
        f"({100 * totals['ok'] / max(1, totals['all']):.1f} %) · model {model} · "
        f"{totals['input_tokens']} input + {totals['output_tokens']} output tokens"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
