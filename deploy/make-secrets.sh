#!/bin/sh
# Writes the secrets compose.yaml reads into deploy/secrets/ (mode 600, never committed), once: an existing
# file is kept. Keep a copy of audit_secret, data_key and signing_key with the backups: without them the
# private audit digests cannot be checked, personal data cannot be decrypted, checkpoints cannot be signed.
set -eu
dir=$(dirname "$0")/secrets
mkdir -p "$dir"
chmod 700 "$dir"
umask 077
put() { [ -s "$dir/$1" ] || { printf '%s' "$2" > "$dir/$1"; echo "wrote $dir/$1"; }; }
hex() { openssl rand -hex "$1"; }
put postgres_password "$(hex 24)"
owner_pw=$(hex 24)
app_pw=$(hex 24)
put database_owner_url "postgres://warmth_owner:$owner_pw@db:5432/warmth"
put database_url "postgres://warmth_app:$app_pw@db:5432/warmth"
put audit_secret "$(hex 32)"
put data_key "$(hex 32)"
[ -s "$dir/signing_key" ] || { openssl genpkey -algorithm ed25519 -out "$dir/signing_key"; echo "wrote $dir/signing_key"; }
put admin_password "$(hex 12)"
put metrics_token "$(hex 24)"
# The containers run as other users than yours: they read the files through the compose secret mounts.
chmod 644 "$dir"/*
