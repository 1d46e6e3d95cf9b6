#!/usr/bin/env bash
# Read the solution x, or only the entries INDICES (comma-separated, e.g. 0,2).
source "$(dirname "$0")/common.sh"
usage_session "${1:-}" "[INDICES]"
api GET "/api/v1/sessions/$1/solution${2:+?indices=$2}"
