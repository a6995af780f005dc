import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError } from './config';

// Business dates stay 'YYYY-MM-DD' strings (no time zone shift); counters fit in a JS number.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Db = Knex | Knex.Transaction;

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/**
 * The migrations' names, in file-name order. knex_migrations records each as its TypeScript file
 * (`20261125_0001_platform.ts`), whether it ran from the sources (tsx) or compiled (dist/migrations/*.js):
 * the same migration must never look new because it was built.
 */
export function migrationNames(): string[] {
  const names = fs.readdirSync(MIGRATIONS_DIR).filter((f) => /^\d.*\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).map((f) => f.replace(/\.js$/, '.ts'));
  return [...new Set(names)].sort();
}

/** Loads each migration from its source through the running loader (tsx), or from its compiled file in dist/. */
class TsMigrationSource implements Knex.MigrationSource<string> {
  async getMigrations() {
    return migrationNames();
  }
  getMigrationName(name: string) {
    return name;
  }
  async getMigration(name: string) {
    const source = path.join(MIGRATIONS_DIR, name);
    const file = fs.existsSync(source) ? source : source.replace(/\.ts$/, '.js');
    return import(pathToFileURL(file).href);
  }
}

export function createKnex(url: string, pool = { min: 0, max: 20 }, statementTimeoutMs = 30_000, applicationName = 'warmth-ledger'): Knex {
  return knexFactory({
    client: 'pg',
    // A runaway statement is cancelled (the request gets an error, its transaction rolls back).
    connection: { connectionString: url, application_name: applicationName, statement_timeout: statementTimeoutMs },
    pool,
    // Fail fast (503) when the database is away instead of queueing requests for a minute.
    acquireConnectionTimeout: 10_000,
    migrations: { migrationSource: new TsMigrationSource(), tableName: 'knex_migrations' },
  });
}

export async function migrateToLatest(db: Knex) {
  await db.migrate.latest();
}

// ---- Database roles (docs/operations.md, "Database roles") ----------------------------------------------
// The service works as a role that owns nothing: it cannot disable the immutability triggers, change
// session_replication_role, ALTER, DROP or TRUNCATE a table. Migrations run as the owner, who then grants the
// working role exactly what the code needs, table by table, at every start.

/**
 * Tables the service only ever appends to: the working role may SELECT and INSERT, never UPDATE or DELETE.
 * Every table with a refuse_change() trigger is added to these at start, so a new immutable table needs no
 * edit here; the event and approval logs below have no trigger but are never changed by the code either.
 */
export const APPEND_ONLY_TABLES = ['audit_log', 'journal_entries', 'journal_lines', 'ledger_reversals', 'ledger_donations', 'ledger_periods', 'reports_published', 'household_events', 'aid_case_events', 'aid_approvals', 'loan_events', 'loan_approvals', 'loan_repayments', 'loan_penalty_accruals', 'campaign_events', 'campaign_approvals'];

/** The migrations' own bookkeeping: the working role may read it (to see that nothing is pending), no more. */
const READ_ONLY_TABLES = ['knex_migrations', 'knex_migrations_lock'];

/**
 * Tables with their own narrower grant. Supporting documents are withdrawn, never deleted (no DELETE on
 * documents); their chunks are never changed and deleted only by the erase job (a trigger also refuses it
 * before the document is marked erased).
 */
const TABLE_PRIVILEGES: Record<string, string> = { documents: 'SELECT, INSERT, UPDATE', document_chunks: 'SELECT, INSERT, DELETE' };

const GRANT_LOCK = 7305;

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

export async function currentRole(db: Knex): Promise<string> {
  return (await db.raw('SELECT current_user AS r')).rows[0].r;
}

/** As the owner, after migrating: the working role gets per-table privileges, sequences, functions and default privileges. */
export async function grantWorkingRole(owner: Knex, role: string) {
  const r = ident(role);
  await owner.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [GRANT_LOCK]); // two instances starting at once
    const tables: { name: string; immutable: boolean }[] = (await trx.raw(`
      SELECT c.relname AS name,
             EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = c.oid AND p.proname = 'refuse_change') AS immutable
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY c.relname`)).rows;
    await trx.raw(`GRANT USAGE ON SCHEMA public TO ${r}`);
    await trx.raw(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${r}`);
    await trx.raw(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${r}`);
    for (const t of tables) {
      const privileges = READ_ONLY_TABLES.includes(t.name) ? 'SELECT'
        : TABLE_PRIVILEGES[t.name] ? TABLE_PRIVILEGES[t.name]
        : t.immutable || APPEND_ONLY_TABLES.includes(t.name) ? 'SELECT, INSERT'
        : 'SELECT, INSERT, UPDATE, DELETE';
      // No column UPDATE either: reverseEntry queues on an advisory lock, not a row lock (which would need one).
      await trx.raw(`GRANT ${privileges} ON ${ident(t.name)} TO ${r}`);
    }
    await trx.raw(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${r}`);
    await trx.raw(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${r}`);
    // Objects a later migration makes are usable before the next start's grants narrow them (never TRUNCATE, TRIGGER, REFERENCES).
    await trx.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${r}`);
    await trx.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${r}`);
    await trx.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO ${r}`);
  });
}

export interface RoleCheck {
  role: string;
  leastPrivilege: boolean;
  /** What the working role may do that it should not, in plain words (empty when leastPrivilege). */
  problems: string[];
}

/** Asks the database, as the working role, what that role could do beyond its work. */
export async function checkLeastPrivilege(db: Knex): Promise<RoleCheck> {
  const { rows } = await db.raw(`
    SELECT current_user AS role, r.rolsuper, r.rolcreaterole, r.rolbypassrls, r.rolreplication,
      pg_has_role(current_user, d.datdba, 'MEMBER') AS owns_database,
      has_schema_privilege(current_user, 'public', 'CREATE') AS creates,
      (SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND pg_has_role(current_user, c.relowner, 'MEMBER')) AS owned,
      (SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND has_table_privilege(current_user, c.oid, 'TRUNCATE, TRIGGER, REFERENCES')) AS truncates,
      (SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname = ANY(?::text[]) AND has_table_privilege(current_user, c.oid, 'UPDATE, DELETE')) AS changes
    FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`, [APPEND_ONLY_TABLES]);
  const x = rows[0];
  // GRANT SET ON PARAMETER exists from PostgreSQL 15; before it, only superusers may set session_replication_role.
  if (Number((await db.raw('SHOW server_version_num')).rows[0].server_version_num) >= 150000) {
    x.replica = (await db.raw(`SELECT has_parameter_privilege(current_user, 'session_replication_role', 'SET') AS p`)).rows[0].p;
  }
  const problems = [
    x.rolsuper && 'is a superuser',
    x.rolcreaterole && 'may create roles',
    x.rolbypassrls && 'bypasses row security',
    x.rolreplication && 'is a replication role',
    !x.rolsuper && x.owns_database && 'owns the database',
    !x.rolsuper && x.replica && 'may set session_replication_role',
    !x.rolsuper && x.owned && `owns tables (${truncateList(x.owned)})`,
    !x.rolsuper && !x.owned && x.creates && 'may create objects in schema public',
    !x.rolsuper && !x.owned && x.truncates && `may TRUNCATE, add triggers to or reference ${truncateList(x.truncates)}`,
    !x.rolsuper && !x.owned && x.changes && `may UPDATE or DELETE ${truncateList(x.changes)}`,
  ].filter((p): p is string => Boolean(p));
  return { role: x.role, leastPrivilege: problems.length === 0, problems };
}

const truncateList = (list: string) => (list.length > 120 ? `${list.slice(0, 117)}…` : list);

/** The result of the start's role check for a knex pool, for GET /health. */
const roleChecks = new WeakMap<Knex, RoleCheck>();
export const roleCheckOf = (db: Knex) => roleChecks.get(db);

/** The one line logged at start (and refused in production) when the working role is not least-privileged. */
export function roleWarning(check: RoleCheck) {
  return `the database role of DATABASE_URL (${check.role}) ${check.problems.join('; ')}: ` +
    'a working role that owns nothing keeps the audit log and the books out of its reach (set DATABASE_OWNER_URL; docs/operations.md, "Database roles")';
}

/**
 * Migrates as the owner and grants the working role its privileges (a separate owner), or migrates as the
 * one role there is (only DATABASE_URL); then checks the working role and remembers the answer for /health.
 * In production a working role that is not least-privileged is refused (a ConfigError), before migrating
 * when there is no separate owner.
 */
export async function prepareDatabase(db: Knex, owner: Knex | undefined, opts: { production: boolean }): Promise<RoleCheck> {
  const refuse = (check: RoleCheck) => {
    if (opts.production && !check.leastPrivilege) throw new ConfigError(`configuration: refused with NODE_ENV=production: ${roleWarning(check)}`);
  };
  if (owner) {
    await migrateToLatest(owner);
    // Two URLs of one role: granting would only revoke the owner's own rights (the check below then warns).
    const role = await currentRole(db);
    if (role !== (await currentRole(owner))) await grantWorkingRole(owner, role);
  } else {
    const check = await checkLeastPrivilege(db);
    refuse(check);
    // A least-privileged role alone can read the migrations but not run them.
    const [, pending] = check.leastPrivilege
      ? await db.migrate.list().catch((e: Error) => {
          throw new Error(`the role of DATABASE_URL (${check.role}) may not read the migrations (${e.message}): set DATABASE_OWNER_URL to the owner's URL`);
        })
      : [[], ['unknown']];
    if (pending.length && check.leastPrivilege) {
      throw new Error(`${pending.length} database migrations are pending and the role of DATABASE_URL (${check.role}) may not run them: set DATABASE_OWNER_URL to the owner's URL`);
    }
    if (pending.length) await migrateToLatest(db);
  }
  const check = await checkLeastPrivilege(db);
  refuse(check);
  roleChecks.set(db, check);
  return check;
}
