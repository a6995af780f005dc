#!/bin/sh
# First start of the postgres:15 container only (/docker-entrypoint-initdb.d): the schema owner and the
# working role of docs/operations.md, "Database roles", with the passwords of the two URL secrets the service
# uses, so each password lives in one place. The service itself migrates as the owner and grants the working
# role its per-table rights at every start (src/platform/db.ts, prepareDatabase).
set -eu
part() { # part user|password|db <url>: postgres://user:password@host:port/db (passwords URL-safe: hex)
  case "$1" in
    user) printf '%s' "$2" | sed -E 's#^[a-z]+://([^:@/]+).*#\1#' ;;
    password) printf '%s' "$2" | sed -E 's#^[a-z]+://[^:@/]+:([^@]*)@.*#\1#' ;;
    db) printf '%s' "$2" | sed -E 's#^[a-z]+://[^/]+/([^?]+).*#\1#' ;;
  esac
}
app_url=$(cat /run/secrets/database_url)
owner_url=$(cat /run/secrets/database_owner_url)
db=$(part db "$owner_url")
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner="$(part user "$owner_url")" -v owner_pw="$(part password "$owner_url")" \
  -v app="$(part user "$app_url")" -v app_pw="$(part password "$app_url")" -v db="$db" <<'SQL'
-- The owner: owns the database and every table, runs the migrations; no superuser, no role creation.
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'owner_pw';
-- The working role of the service: owns nothing; the owner grants it per-table rights at every start.
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'app_pw';
CREATE DATABASE :"db" OWNER :"owner" ENCODING 'UTF8' TEMPLATE template0;
\connect :"db"
-- Nobody but the owner creates objects in public (the working role's least-privilege check requires it).
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO :"owner";
GRANT USAGE ON SCHEMA public TO :"app";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";
SQL
