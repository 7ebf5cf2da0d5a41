#!/usr/bin/env bash
# Refresh the English catalog from the code, then compile it.
#
#   scripts/update_translations.sh
#
# 1. extract every _()/_l()/{{ _() }} string of clickpro/ into messages.pot;
# 2. merge it into clickpro/translations/en/LC_MESSAGES/messages.po (created if missing);
# 3. list what still needs an English msgstr (new or fuzzy entries) — fill those in the
#    .po (any editor or Poedit), then run this script again;
# 4. compile messages.mo (committed, so a fresh clone needs no build step).
# Portuguese (pt_BR) is the source language: it needs no catalog.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VENV_BIN:-.venv/bin}"
DIR=clickpro/translations
POT="$DIR/messages.pot"
PO="$DIR/en/LC_MESSAGES/messages.po"

"$BIN/pybabel" -q extract -F babel.cfg -k _l --ignore-dirs=sandbox --no-location \
  --sort-output --project=ClickPro -o "$POT" clickpro >/dev/null
if [ -f "$PO" ]; then
  "$BIN/pybabel" -q update -i "$POT" -d "$DIR" -l en --ignore-obsolete --no-fuzzy-matching
else
  "$BIN/pybabel" -q init -i "$POT" -d "$DIR" -l en
fi
"$BIN/python" - "$PO" <<'PY'
import sys
from babel.messages.pofile import read_po

with open(sys.argv[1], "rb") as fh:
    catalog = read_po(fh)
todo = [m for m in catalog if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))]
total = sum(1 for m in catalog if m.id)
print(f"{total - len(todo)}/{total} strings translated")
for message in todo:
    print(("FUZZY  " if message.fuzzy else "TODO   ") + str(message.id))
PY
"$BIN/pybabel" compile -d "$DIR" -l en --statistics
