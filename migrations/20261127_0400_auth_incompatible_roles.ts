import type { Knex } from 'knex';

// 不相容职务 Incompatible duties in the database too: no enabled user may hold admin with finance or approver,
// nor finance with approver (the service answers 422 incompatible_roles first; this catches a stray SQL write).
//
// A trigger, not a CHECK: a CHECK (even NOT VALID) is checked on every UPDATE of a row, so a user made before
// the rule who holds both would no longer be able to log in (login updates failed_logins). The trigger refuses
// only what creates the combination: an INSERT, a change of roles, or enabling a disabled user. Users made
// before the rule keep working until an admin changes them; `usersWithIncompatibleRoles` (src/auth) lists them.
export async function up(knex: Knex) {
  await knex.raw(`
    CREATE FUNCTION users_incompatible_roles() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT NEW.disabled
         AND (TG_OP = 'INSERT' OR NEW.roles IS DISTINCT FROM OLD.roles OR OLD.disabled)
         AND (NEW.roles @> ARRAY['admin','finance']::text[]
              OR NEW.roles @> ARRAY['admin','approver']::text[]
              OR NEW.roles @> ARRAY['finance','approver']::text[]) THEN
        RAISE EXCEPTION 'incompatible roles for user %: %', NEW.username, NEW.roles USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER users_incompatible_roles BEFORE INSERT OR UPDATE OF roles, disabled ON users
      FOR EACH ROW EXECUTE FUNCTION users_incompatible_roles();
  `);
}

export async function down(knex: Knex) {
  await knex.raw(`DROP TRIGGER IF EXISTS users_incompatible_roles ON users; DROP FUNCTION IF EXISTS users_incompatible_roles();`);
}
