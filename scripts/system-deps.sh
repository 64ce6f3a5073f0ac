# Sourced by test.sh: the Debian packages the tests drive as real programs, installed when missing —
# chromium (the web UI's browser tests, through Playwright with this executable; Playwright's own
# browser download is not used) and docker-compose (`docker-compose config` checks deploy/).
set -euo pipefail
_missing=()
command -v chromium >/dev/null 2>&1 || _missing+=(chromium)
command -v docker-compose >/dev/null 2>&1 || _missing+=(docker-compose)
if [ "${#_missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then _apt=(apt-get); elif command -v sudo >/dev/null 2>&1; then _apt=(sudo apt-get); else
        echo "the tests need the Debian packages: ${_missing[*]} (install them, e.g. apt-get install ${_missing[*]})" >&2
        exit 1
    fi
    _log="$(mktemp)"
    if ! { "${_apt[@]}" update -qq && DEBIAN_FRONTEND=noninteractive "${_apt[@]}" install -y -qq --no-install-recommends "${_missing[@]}"; } > "$_log" 2>&1; then
        tail -n 20 "$_log" >&2
        echo "installing ${_missing[*]} failed (full log: $_log)" >&2
        exit 1
    fi
    rm -f "$_log"
fi
