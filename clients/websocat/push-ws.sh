#!/usr/bin/env bash
# Push a cost update over the WebSocket and watch the re-convergence: subscribes, sends the update, prints the
# ack and the frames until the convergence signal that includes the update (last_applied_seq = the ack's seq).
source "$(dirname "$0")/common.sh"
usage_session "${1:-}" "[INDICES VALUES]"
ack_seq=""
stop_at() {
  case $(frame_field "$1" type) in
    ack) ack_seq=$(frame_field "$1" seq); return 1 ;;
    convergence_signal) [[ -n $ack_seq && $(frame_field "$1" last_applied_seq) -ge $ack_seq ]] ;;
    *) return 1 ;;
  esac
}
ws_session "{\"type\": \"subscribe\", \"id\": \"sub-1\", \"session_id\": \"$1\"}" \
  "{\"type\": \"cost_update\", \"id\": \"upd-1\", \"session_id\": \"$1\",
    \"delta_costs\": {\"indices\": ${2:-[0, 2]}, \"values\": ${3:-[0.01, -0.003]}}, \"source_node\": \"node-abc123\"}"
