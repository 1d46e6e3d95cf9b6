#!/usr/bin/env bash
# Create a session over the WebSocket and print its frames until the first convergence signal.
source "$(dirname "$0")/common.sh"
stop_at() { [[ $1 == *'"type":"convergence_signal"'* ]]; }
ws_session "{\"type\": \"solve_request\", \"id\": \"create-1\", $EXAMPLE_SYSTEM}"
