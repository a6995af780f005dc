#!/bin/sh
# For every variable NAME_FILE=/path (compose or swarm secrets), sets NAME to the file's content (trailing
# newlines dropped) unless NAME is set already; then runs the command as this process (signals reach node).
set -eu
for pair in $(env | sed -n 's/^\([A-Z][A-Z0-9_]*\)_FILE=.*/\1/p'); do
  eval "file=\${${pair}_FILE}"
  eval "already=\${${pair}:-}"
  if [ -n "$already" ]; then
    echo "warmth-entrypoint: both ${pair} and ${pair}_FILE are set; using ${pair}" >&2
  elif [ -r "$file" ]; then
    export "$pair=$(cat "$file")"
  else
    echo "warmth-entrypoint: ${pair}_FILE=${file} is not readable" >&2
    exit 2
  fi
  unset "${pair}_FILE"
done
exec "$@"
