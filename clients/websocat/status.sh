#!/usr/bin/env bash
# Session status and metrics (phase, iteration, residuals, last_applied_seq, …). Pretty with jq if present.
source "$(dirname "$0")/common.sh"
usage_session "${1:-}" ""
if command -v jq >/dev/null; then api GET "/api/v1/status/$1" | jq .; else api GET "/api/v1/status/$1"; fi
