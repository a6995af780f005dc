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

/**
 * The posting-function benchmarks' setup: a bench service with one foundation fund `GF`, today's date in
 * Asia/Shanghai and the service's database URL; `run` gets them, and the service stops after it.
 */
export async function withGroupFund(prefix: string, run: (b: { svc: Awaited<ReturnType<typeof startBenchService>>['svc']; today: string; dbUrl: string }) => Promise<void>) {
  const { createFund } = await import('../src/ledger/service');
  const { svc } = await startBenchService(prefix);
  try {
    await svc.ctx.db.transaction((trx) => createFund(trx, 'bench', { code: 'GF', nameZh: '组', nameEn: 'Group', kind: 'foundation' }));
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    await run({ svc, today, dbUrl: (svc.ctx.db.client.config.connection as { connectionString: string }).connectionString });
  } finally {
    await svc.stop();
  }
  process.exit(0);
}
