#!/usr/bin/env bash
# Create a session over HTTP (no streaming). Prints `session_created`; with -q prints only the session id.
source "$(dirname "$0")/common.sh"
reply=$(api POST /api/v1/sessions "{$EXAMPLE_SYSTEM}") || { printf '%s\n' "$reply" >&2; exit 1; }
if [[ ${1:-} == -q ]]; then frame_field "$reply" session_id; echo; else printf '%s\n' "$reply"; fi
