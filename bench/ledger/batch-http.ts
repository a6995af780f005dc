// npx tsx bench/ledger/batch-http.ts: one service in this process, POST /journal-entries/batch of 1,000 (and 100)
// two-line entries a few times, timed (run under node --cpu-prof --import tsx to see where the JS time goes).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/platform/config';
import { startService } from '../../src/server';
import { createUser } from '../../src/auth';
import { createFund } from '../../src/ledger/service';
import { freePort } from '../../src/platform/free-port';

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warmth-bhttp-'));
  fs.chmodSync(dir, 0o755);
  const env: Record<string, string | undefined> = {
    ...process.env, DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DEMO_DATA: 'off',
    ADMIN_USERNAME: 'bench-admin', ADMIN_PASSWORD: 'Bench-admin-pass-1', PASSWORD_HASH_ROUNDS: '4',
    EMBEDDED_PG_PORT: String(await freePort()), AUDIT_SECRET: 'bench-audit-secret-0123456789',
    DATA_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
  };
  delete env.DATABASE_URL;
  const svc = await startService(loadConfig(env));
  try {
    await svc.ctx.db.transaction(async (trx) => {
      await createUser(trx, 'bench', { username: 'bench-finance', password: 'Bench-finance-1', displayName: 'bench', roles: ['finance'] });
      await createFund(trx, 'bench', { code: 'GF', nameZh: '组', nameEn: 'Group', kind: 'foundation' });
    });
    const url = (svc as unknown as { url: string }).url;
    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench-finance', password: 'Bench-finance-1' }) });
    const token = ((await login.json()) as { token: string }).token;
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    let n = 0;
    for (const size of [100, 1000, 1000, 1000]) {
      const tag = `${process.pid}-${n++}`;
      const body = JSON.stringify({ entries: Array.from({ length: size }, (_, i) => ({ idempotencyKey: `bh-${tag}-${i}`, date: today, description: 'bench batch', lines: [{ account: '1002', fund: 'GF', debit: '10.00' }, { account: '4101', fund: 'GF', credit: '10.00' }] })) });
      const t = performance.now();
      const r = await fetch(`${url}/api/v1/journal-entries/batch`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
      const text = await r.text();
      console.log(`${size} entries: ${r.status} ${(performance.now() - t).toFixed(1)} ms${r.status >= 300 ? ' ' + text.slice(0, 300) : ''}`);
    }
  } finally {
    await svc.stop();
  }
  process.exit(0);
}
void main();
