// npx tsx bench/ledger/single-steps.ts: where a single posting's time goes (issue 15). One service in this
// process; single 2-line postings over HTTP at 1 and 8 clients, every SQL statement timed by knex's query events
// (client-side: send → answer, so it includes the round trip), summed by statement; the rest is HTTP/JS.
// Run under `node --cpu-prof --import tsx` to see the JS time.
import { createUser } from '../../src/auth';
import { createFund } from '../../src/ledger/service';
import { startBenchService } from '../support';

async function main() {
  const { svc } = await startBenchService('warmth-steps');
  try {
    const db = svc.ctx.db;
    await db.transaction(async (trx) => {
      await createUser(trx, 'bench', { username: 'bench-finance', password: 'Bench-finance-1', displayName: 'bench', roles: ['finance'] });
      for (let i = 0; i < 8; i++) await createFund(trx, 'bench', { code: `GF${i}`, nameZh: '组', nameEn: 'Group', kind: 'foundation' });
    });
    const url = (svc as unknown as { url: string }).url;
    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench-finance', password: 'Bench-finance-1' }) });
    const token = ((await login.json()) as { token: string }).token;
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const started = new Map<string, number>();
    const by = new Map<string, { n: number; ms: number }>();
    db.on('query', (q: { __knexQueryUid: string }) => started.set(q.__knexQueryUid, performance.now()));
    db.on('query-response', (_r: unknown, q: { __knexQueryUid: string; sql: string }) => {
      const t = started.get(q.__knexQueryUid);
      if (t === undefined) return;
      started.delete(q.__knexQueryUid);
      const k = q.sql.replace(/\s+/g, ' ').slice(0, 80);
      const s = by.get(k) ?? { n: 0, ms: 0 };
      s.n++;
      s.ms += performance.now() - t;
      by.set(k, s);
    });
    for (const clients of [1, 8]) {
      for (const pass of ['warm', 'measure']) {
        by.clear();
        let count = 0;
        const until = performance.now() + (pass === 'warm' ? 1000 : 4000);
        const t0 = performance.now();
        await Promise.all(Array.from({ length: clients }, async (_, w) => {
          const body = JSON.stringify({ date: today, description: 'steps', lines: [{ account: '1002', fund: `GF${w}`, debit: '10.00' }, { account: '4101', fund: `GF${w}`, credit: '10.00' }] });
          while (performance.now() < until) {
            const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
            if (process.env.STEPS_KEYS) headers['idempotency-key'] = `k-${process.pid}-${w}-${count}-${Math.random()}`;
            const r = await fetch(`${url}/api/v1/journal-entries`, { method: 'POST', headers, body });
            await r.arrayBuffer();
            if (r.status !== 201) throw new Error(`status ${r.status}`);
            count++;
          }
        }));
        const el = performance.now() - t0;
        if (pass === 'warm') continue;
        console.log(`\n${clients} client(s): ${count} postings, ${(count / (el / 1000)).toFixed(1)}/s, ${(el * clients / count).toFixed(2)} ms per posting per client`);
        for (const [k, s] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) console.log(`${String(s.n).padStart(6)} × ${(s.ms / s.n).toFixed(2).padStart(6)} ms = ${(s.ms / count).toFixed(2).padStart(6)} ms/posting  ${k}`);
      }
    }
  } finally {
    await svc.stop();
  }
  process.exit(0);
}
void main();
