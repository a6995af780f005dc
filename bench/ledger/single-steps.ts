// npx tsx bench/ledger/single-steps.ts: where a single posting's time goes (issue 15). One service in this
// process; single 2-line postings over HTTP at 1 and 8 clients (one fund each), every statement the pg driver
// sends timed from send to answer (so the round trip and this process's event-loop delay are in it; BEGIN and
// COMMIT included, which knex's query events do not show), summed by statement; the rest is HTTP and JS.
// STEPS_KEYS=1 sends an Idempotency-Key with each posting. Run under `node --cpu-prof --import tsx` for the JS.
import pg from 'pg';
import { createUser } from '../../src/auth';
import { createFund } from '../../src/ledger/service';
import { startBenchService } from '../support';

const by = new Map<string, { n: number; ms: number }>();
const send = pg.Client.prototype.query as (...args: unknown[]) => unknown;
// knex calls query(config, callback); the callback marks the answer.
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: unknown, ...args: unknown[]) {
  const t = performance.now();
  const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string } | undefined)?.text ?? '?');
  const k = text.replace(/\s+/g, ' ').slice(0, 80);
  const answered = () => {
    const s = by.get(k) ?? { n: 0, ms: 0 };
    s.n++;
    s.ms += performance.now() - t;
    by.set(k, s);
  };
  const cb = args.findIndex((a) => typeof a === 'function');
  if (cb >= 0) {
    const done = args[cb] as (...x: unknown[]) => void;
    args[cb] = (...x: unknown[]) => {
      answered();
      done(...x);
    };
    return send.apply(this, args);
  }
  const out = send.apply(this, args);
  if (out instanceof Promise) void out.then(answered, () => undefined);
  return out;
};

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
        let sql = 0;
        for (const [k, s] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
          sql += s.ms;
          console.log(`${String(s.n).padStart(6)} × ${(s.ms / s.n).toFixed(2).padStart(6)} ms = ${(s.ms / count).toFixed(2).padStart(6)} ms/posting  ${k}`);
        }
        // At one client, latency = statements + the rest; with more, postings share a group's statements.
        console.log(`statements: ${(sql / count).toFixed(2)} ms per posting` + (clients === 1 ? `; the rest (HTTP, JSON, joi, the client in this process) ${(el / count - sql / count).toFixed(2)} ms` : ''));
      }
    }
  } finally {
    await svc.stop();
  }
  process.exit(0);
}
void main();
