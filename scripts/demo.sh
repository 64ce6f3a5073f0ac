#!/usr/bin/env bash
# The demo: a fake LLM server, the example agent run under ao-instrument (which starts a local
# collector), then the run's dataflow graph. Needs no network and no API keys.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure-venv.sh"
cd "$ROOT"
export AO_HOME="${AO_HOME:-$ROOT/.ao/demo}"
mkdir -p "$AO_HOME"
PORT="${FAKE_LLM_PORT:-8765}"
export PYTHONPATH="$ROOT/examples${PYTHONPATH:+:$PYTHONPATH}"
"$VENV/bin/python" -m fake_llm --port "$PORT" --replies examples/replies.json > "$AO_HOME/fake_llm.log" 2>&1 &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$AO_HOME/fake_llm.log" && break; sleep 0.1; done
export OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" OPENAI_API_KEY=demo
export ANTHROPIC_BASE_URL="http://127.0.0.1:$PORT" ANTHROPIC_API_KEY=demo
newest_run() {
  "$VENV/bin/ao-collector" runs --json -n 1 2>/dev/null \
    | "$VENV/bin/python" -c 'import json,sys; runs = json.load(sys.stdin); print(runs[0]["run_id"] if runs else "")' \
    || true
}
BEFORE="$(newest_run)"
"$VENV/bin/ao-instrument" --name demo "$VENV/bin/python" examples/agent.py "how teams trace LLM agents"
# The run is queryable once the collector has written its batch (a freshly started one takes longer).
for _ in $(seq 60); do RUN_ID="$(newest_run)"; [ -n "$RUN_ID" ] && [ "$RUN_ID" != "$BEFORE" ] && break; sleep 0.5; done
echo
echo "Dataflow of run $RUN_ID:"
"$VENV/bin/ao-collector" graph "$RUN_ID"
echo
echo "The collector keeps running in the background (API and data in $AO_HOME): ao-collector runs"
echo "Its web UI: http://127.0.0.1:${AO_COLLECTOR_API_PORT:-4320}/#/runs/$RUN_ID (edit a call, replay the run)"
