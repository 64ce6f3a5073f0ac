# Sourced by the other scripts: create or reuse .venv with the project installed (editable) and EXTRAS.
# Reinstalls when pyproject.toml changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
EXTRAS="${EXTRAS:-test,frameworks}"  # frameworks: the agent frameworks of the dataflow framework corpus
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
STAMP="$VENV/.ao-installed-$EXTRAS"
HASH="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$HASH" ]; then
    LOG="$VENV/.ao-install.log"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -e "$ROOT[$EXTRAS]" > "$LOG" 2>&1; then
        tail -n 40 "$LOG" >&2
        echo "installing the project into $VENV failed (full log: $LOG)" >&2
        exit 1
    fi
    echo "$HASH" > "$STAMP"
fi
