#!/usr/bin/env bash
# Run a verification now on PROBES random rows (1..100, default 20, capped at the system size).
source "$(dirname "$0")/common.sh"
usage_session "${1:-}" "[PROBES]"
api POST /api/v1/verify "{\"session_id\": \"$1\", \"probe_count\": ${2:-20}}"
