import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import crypto from 'node:crypto';
import type { Writable } from 'node:stream';
import { loadConfig } from '../../src/platform/config';
import { startService, type RunningService } from '../../src/server';
import { freePort } from '../../src/platform/free-port';

export const ADMIN = { username: 'test-admin', password: 'Test-admin-pass-1' };

let service: RunningService | undefined;


/**
 * With DATABASE_URL the run gets a fresh database of its own on that server, dropped at the end. When that
 * URL's role may create roles, the database gets its own owner and working roles (as the embedded server
 * does), so the run exercises least privilege there too.
 */
async function freshDatabaseOn(url: string) {
  const name = `warmth_test_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1000)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const { rows } = await admin.query('SELECT rolsuper OR rolcreaterole AS can FROM pg_roles WHERE rolname = current_user');
  const at = (user: string | undefined, password: string | undefined) => {
    const u = new URL(url);
    u.pathname = `/${name}`;
    if (user) [u.username, u.password] = [user, password!];
    return u.toString();
  };
  const roles = rows[0]?.can ? { owner: `${name}_owner`, app: `${name}_app`, password: crypto.randomBytes(12).toString('hex') } : undefined;
  if (roles) {
    for (const r of [roles.owner, roles.app]) await admin.query(`CREATE ROLE ${r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${roles.password}'`);
    await admin.query(`GRANT ${roles.owner} TO current_user`); // lets a CREATEROLE (not superuser) admin create the database for it
    await admin.query(`CREATE DATABASE ${name} OWNER ${roles.owner}`);
  } else {
    await admin.query(`CREATE DATABASE ${name}`);
  }
  await admin.end();
  const drop = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    if (roles) for (const r of [roles.app, roles.owner]) await c.query(`DROP ROLE IF EXISTS ${r}`);
    await c.end();
  };
  return roles
    ? { url: at(roles.app, roles.password), ownerUrl: at(roles.owner, roles.password), superuserUrl: at(undefined, undefined), drop }
    : { url: at(undefined, undefined), ownerUrl: undefined, superuserUrl: at(undefined, undefined), drop };
}

/** One real PostgreSQL and one service for the whole run: the embedded server in a temp folder, or DATABASE_URL. */
export async function startTestService(extraEnv: Record<string, string> = {}) {
  const started = await startIsolatedService(extraEnv);
  service = started.service;
  stopAll = started.stop;
  return service;
}

let stopAll: (() => Promise<void>) | undefined;

/**
 * The environment of a test service. Secrets are the same for every service of the run: the audit secret
 * and the data key are set once per process, so a second service must not bring its own.
 */
export async function testEnv(extraEnv: Record<string, string | undefined>, dataDir: string): Promise<Record<string, string | undefined>> {
  return {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DEMO_DATA: 'off',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    PASSWORD_HASH_ROUNDS: '4',
    NOTICE_PERIOD: 'PT2S',
    NOTICE_SWEEP_SECONDS: '0.5',
    OBJECTION_RATE_LIMIT: '100000',
    LOGIN_RATE_LIMIT: '100000',
    PUBLIC_REPORT_RATE_LIMIT: '100000',
    REQUEST_TIMEOUT_SECONDS: '3',
    EMBEDDED_PG_PORT: String(await freePort()),
    AUDIT_SECRET: 'test-audit-secret-0123456789',
    DATA_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
    SIGNING_KEY: Buffer.alloc(32, 0x5a).toString('base64'), // the Ed25519 seed of audit checkpoints
    ...extraEnv,
  };
}

/** A service with its own fresh database (embedded in a temp folder, or a new database on DATABASE_URL, unless extraEnv names one). */
export async function startIsolatedService(extraEnv: Record<string, string | undefined> = {}, opts: { logTo?: Writable } = {}) {
  // /tmp so the 'postgres' user can reach the data folder when tests run as root.
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'warmth-test-'));
  fs.chmodSync(tmpDir, 0o755);
  const env = await testEnv(extraEnv, tmpDir);
  let dropDatabase: (() => Promise<void>) | undefined;
  let superuserUrl: string | undefined;
  if (process.env.DATABASE_URL && !('DATABASE_URL' in extraEnv)) {
    const fresh = await freshDatabaseOn(process.env.DATABASE_URL);
    env.DATABASE_URL = fresh.url;
    if (fresh.ownerUrl) env.DATABASE_OWNER_URL = fresh.ownerUrl;
    dropDatabase = fresh.drop;
    superuserUrl = fresh.superuserUrl;
  }
  const running = await startService(loadConfig(env), { fastDb: true, logTo: opts.logTo });
  // The embedded server's superuser, or DATABASE_URL's own role: for tests that create databases.
  running.superuserUrl ??= superuserUrl;
  return {
    service: running,
    tmpDir,
    async stop() {
      await running.stop();
      await dropDatabase?.();
      fs.rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}

export async function stopTestService() {
  await stopAll?.();
  service = undefined;
}

export function testService(): RunningService {
  if (!service) throw new Error('the test service is not running (test/hooks.ts starts it)');
  return service;
}

export { freePort };
