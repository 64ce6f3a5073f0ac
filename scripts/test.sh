#!/usr/bin/env bash
# Run the test suite in .venv (created or reused), after the Debian packages it needs. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/system-deps.sh"
source "$(dirname "${BASH_SOURCE[0]}")/ensure-venv.sh"
cd "$ROOT"
exec "$VENV/bin/python" -m pytest "$@"
