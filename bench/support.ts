import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/platform/config';
import { freePort } from '../src/platform/free-port';
import { startService } from '../src/server';

/** A service on a fresh embedded PostgreSQL in a temp folder, with no demo data, for one benchmark. */
export async function startBenchService(prefix: string, extraEnv: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  fs.chmodSync(dir, 0o755);
  const env: Record<string, string | undefined> = {
    ...process.env, DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DEMO_DATA: 'off',
    ADMIN_USERNAME: 'bench-admin', ADMIN_PASSWORD: 'Bench-admin-pass-1', PASSWORD_HASH_ROUNDS: '4',
    EMBEDDED_PG_PORT: String(await freePort()), AUDIT_SECRET: 'bench-audit-secret-0123456789',
    DATA_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', ...extraEnv,
  };
  delete env.DATABASE_URL;
  const svc = await startService(loadConfig(env));
  return { svc, dir };
}
