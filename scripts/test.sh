#!/usr/bin/env bash
# Run the test suite in .venv (created or reused). Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure-venv.sh"
cd "$ROOT"
exec "$VENV/bin/python" -m pytest "$@"
