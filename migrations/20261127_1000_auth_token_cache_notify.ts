import type { Knex } from 'knex';

// Issue 15: instances cache the token check (src/auth/token-cache.ts). Any revocation, disabling or change of
// rights, by the service or by hand, tells every instance at commit to drop its cache. Statement-level, so a
// login's failed-login counter (other columns) or a bulk revocation costs one notification.
export async function up(knex: Knex) {
  await knex.raw(`
CREATE OR REPLACE FUNCTION auth_notify_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify('warmth_auth', TG_TABLE_NAME);
  RETURN NULL;
END $fn$;
CREATE TRIGGER sessions_notify_change AFTER UPDATE OR DELETE OR TRUNCATE ON sessions FOR EACH STATEMENT EXECUTE FUNCTION auth_notify_change();
CREATE TRIGGER users_notify_change AFTER UPDATE OF username, display_name, roles, district, disabled OR DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION auth_notify_change();
`);
}

export async function down(knex: Knex) {
  await knex.raw(`
DROP TRIGGER IF EXISTS sessions_notify_change ON sessions;
DROP TRIGGER IF EXISTS users_notify_change ON users;
DROP FUNCTION IF EXISTS auth_notify_change();
`);
}
