// npx tsx bench/ledger/plans.ts: what planning costs ledger_post_entries (issue 15, step F). On a fresh embedded
// server, one connection calls it 300 times with one 2-line entry (each call its own transaction, committed)
// under each plan_cache_mode of the session, then once with 10, 100 and 1,000 entries: p10/p50/p90 ms per call.
// Since migration 20261127_1610 the function sets force_generic_plan itself, so the session's mode no longer
// changes it; run this on the commit before to see the difference it made.
import pg from 'pg';
import { withGroupFund } from '../support';

void withGroupFund('warmth-plans', async ({ today, dbUrl }) => {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  const entry = { date: today, description: 'plans', source: 'manual', source_ref: null, reverses_id: null, created_by: 'bench', created_at: new Date().toISOString(),
    lines: [{ account: '1002', fund: 'GF', debit: '10.00', credit: null }, { account: '4101', fund: 'GF', debit: null, credit: '10.00' }] };
  const call = async (n: number) => {
    await c.query('BEGIN');
    const t0 = performance.now();
    await c.query('SELECT ledger_post_entries($1::jsonb)', [JSON.stringify(Array.from({ length: n }, () => entry))]);
    const ms = performance.now() - t0;
    await c.query('COMMIT');
    return ms;
  };
  for (const mode of ['auto', 'force_generic_plan', 'force_custom_plan']) {
    await c.query(`SET plan_cache_mode = ${mode}`);
    const t: number[] = [];
    for (let i = 0; i < 300; i++) t.push(await call(1));
    t.sort((a, b) => a - b);
    const groups = [];
    for (const n of [10, 100, 1000]) groups.push(`${n}: ${(await call(n)).toFixed(1)} ms`);
    console.log(`${mode.padEnd(18)} 1 entry p10/p50/p90 ${t[30]!.toFixed(2)}/${t[150]!.toFixed(2)}/${t[270]!.toFixed(2)} ms; ${groups.join(', ')}`);
  }
  await c.end();
});
