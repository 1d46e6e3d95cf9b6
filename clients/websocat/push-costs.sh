#!/usr/bin/env bash
# Post a cost update (b[i] += value) to /api/v1/swarm/costs; prints the ack with the update's seq.
# Default: indices [0, 2], values [0.01, -0.003] (in range for the 3×3 example).
source "$(dirname "$0")/common.sh"
usage_session "${1:-}" "[INDICES VALUES]   e.g. $0 SID '[0,2]' '[0.01,-0.003]'"
api POST /api/v1/swarm/costs "{\"session_id\": \"$1\", \"delta_costs\": {\"indices\": ${2:-[0, 2]}, \"values\": ${3:-[0.01, -0.003]}},
  \"source_node\": \"node-abc123\"}"
