import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/platform/config';
import { startService, type RunningService } from '../../src/server';
import { freePort } from '../../src/platform/free-port';

export const ADMIN = { username: 'test-admin', password: 'Test-admin-pass-1' };

let service: RunningService | undefined;


/** With DATABASE_URL the run gets a fresh database of its own on that server, dropped at the end. */
async function freshDatabaseOn(url: string) {
  const name = `warmth_test_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1000)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  const drop = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
  return { url: u.toString(), drop };
}

/** One real PostgreSQL and one service for the whole run: the embedded server in a temp folder, or DATABASE_URL. */
export async function startTestService(extraEnv: Record<string, string> = {}) {
  const started = await startIsolatedService(extraEnv);
  service = started.service;
  stopAll = started.stop;
  return service;
}

let stopAll: (() => Promise<void>) | undefined;

/** A service with its own fresh database (embedded in a temp folder, or a new database on DATABASE_URL). */
export async function startIsolatedService(extraEnv: Record<string, string> = {}) {
  // /tmp so the 'postgres' user can reach the data folder when tests run as root.
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'warmth-test-'));
  fs.chmodSync(tmpDir, 0o755);
  const env: Record<string, string | undefined> = {
    ...process.env,
    DATA_DIR: tmpDir,
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
    ...extraEnv,
  };
  let dropDatabase: (() => Promise<void>) | undefined;
  if (process.env.DATABASE_URL) {
    const fresh = await freshDatabaseOn(process.env.DATABASE_URL);
    env.DATABASE_URL = fresh.url;
    dropDatabase = fresh.drop;
  }
  const running = await startService(loadConfig(env), { fastDb: true });
  return {
    service: running,
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
