// npx tsx bench/ledger/batch-http.ts: one service in this process, POST /journal-entries/batch of 1,000 (and 100)
// two-line entries a few times, timed (run under node --cpu-prof --import tsx to see where the JS time goes).
import { createUser } from '../../src/auth';
import { createFund } from '../../src/ledger/service';
import { startBenchService } from '../support';

async function main() {
  const { svc } = await startBenchService('warmth-bhttp');
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
