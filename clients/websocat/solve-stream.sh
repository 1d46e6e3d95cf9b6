#!/usr/bin/env bash
# Create a session and stream its events as NDJSON until it converges (each line one JSON record).
source "$(dirname "$0")/common.sh"
curl -sS --fail-with-body --no-buffer -X POST "${AUTH[@]}" -H 'Content-Type: application/json' \
  -d "{$EXAMPLE_SYSTEM}" "$SOLVERD_URL/api/v1/solve-stream?until=converged"
