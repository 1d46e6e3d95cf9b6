#!/usr/bin/env bash
# Subscribe to a session and print its frames until the next convergence signal.
# SINCE_SEQ replays the retained events after that seq first (0 = from the beginning).
source "$(dirname "$0")/common.sh"
usage_session "${1:-}" "[SINCE_SEQ]"
since=${2:+, \"since_seq\": $2}
stop_at() { [[ $1 == *'"type":"convergence_signal"'* ]]; }
ws_session "{\"type\": \"subscribe\", \"id\": \"sub-1\", \"session_id\": \"$1\"$since}"
