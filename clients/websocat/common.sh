# Shared settings for the recipes; sourced, not run.
#   SOLVERD_URL    base URL of the server (default http://127.0.0.1:3000)
#   SOLVERD_TOKEN  bearer token, only if the server requires one (sent as Authorization and ?access_token=)
#   TIMEOUT        seconds a WebSocket recipe waits for the frame it stops at (default 30)
set -euo pipefail
SOLVERD_URL=${SOLVERD_URL:-http://127.0.0.1:3000}
SOLVERD_URL=${SOLVERD_URL%/}
TIMEOUT=${TIMEOUT:-30}
SOLVERD_WS="ws${SOLVERD_URL#http}/ws/solver${SOLVERD_TOKEN:+?access_token=$SOLVERD_TOKEN}"
AUTH=()
[[ -n ${SOLVERD_TOKEN:-} ]] && AUTH=(-H "Authorization: Bearer $SOLVERD_TOKEN")

# The example system: [[2,-1,0],[-1,2,-1],[0,-1,2]] in compressed columns,
# b = [1,2,3], so x = [2.5, 4, 3.5].
EXAMPLE_SYSTEM='"matrix": {"rows": 3, "cols": 3, "format": "csr",
    "data": {"values": [2, -1, -1, 2, -1, -1, 2], "row_indices": [0, 1, 0, 1, 2, 1, 2], "col_pointers": [0, 2, 5, 7]}},
  "vector": [1, 2, 3], "method": "hybrid", "options": {"tolerance": 1e-8, "swarm_enabled": true}'

# api METHOD PATH [JSON]: one HTTP call; prints the JSON reply; exits non-zero (after printing the error body) on 4xx/5xx.
api() {
  local method=$1 path=$2
  shift 2
  curl -sS --fail-with-body -X "$method" "${AUTH[@]}" -H 'Content-Type: application/json' \
    ${1:+-d "$1"} "$SOLVERD_URL$path" || { local rc=$?; echo; return $rc; }
  echo
}

# ws_session MESSAGE...: opens one WebSocket, sends each MESSAGE (a JSON object; newlines become spaces), prints every frame
# (one JSON object per line) and stops after the frame for which `stop_at FRAME` succeeds (exit 0), at an `error`
# frame (exit 3), or when the socket closes or $TIMEOUT s pass without a frame (exit 1). Recipes define stop_at.
ws_session() {
  coproc WS { exec websocat -t "$SOLVERD_WS"; }
  local ws_out=${WS[0]} ws_in=${WS[1]} ws_pid=$WS_PID line status=1
  for message in "$@"; do printf '%s\n' "${message//$'\n'/ }" >&"$ws_in"; done  # one message per line
  while IFS= read -r -t "$TIMEOUT" line <&"$ws_out"; do
    printf '%s\n' "$line"
    if [[ $(frame_field "$line" type) == error ]]; then status=3; break; fi
    if stop_at "$line"; then status=0; break; fi
  done
  kill "$ws_pid" 2>/dev/null || true
  wait "$ws_pid" 2>/dev/null || true
  [[ $status != 1 ]] || echo "the WebSocket closed, or no matching frame came within ${TIMEOUT}s" >&2
  return $status
}

# frame_field FRAME NAME: a top-level string or number member of a compact JSON frame.
frame_field() {
  [[ $1 =~ \"$2\":\"?([^\",}]*) ]] && printf '%s' "${BASH_REMATCH[1]}"
}

usage_session() {
  [[ $# -ge 1 && -n $1 ]] || { echo "usage: $0 SESSION_ID $2" >&2; exit 2; }
}
