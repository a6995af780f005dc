// npx tsx bench/ledger/commit-check.ts: the deferred balance check at COMMIT (issue 15, migration 20261127_1620).
// On a fresh embedded server: one connection posts a few entries (its plans are made while journal_lines is
// small), then 60 groups of 1,000 entries grow journal_lines to ~120,000 lines with no ANALYZE in between; then
// a group of 1,000 is committed on the first connection and on a new one, and the COMMIT (where the check runs,
// once per entry) is timed. EXPLAIN=1 runs the new connection as the superuser with auto_explain and prints the
// plans of the check's two statements.
import pg from 'pg';
import { withGroupFund } from '../support';

void withGroupFund('warmth-commit-check', async ({ svc, today, dbUrl }) => {
  const db = svc.ctx.db;
  const entry = { date: today, description: 'commit check', source: 'manual', source_ref: null, reverses_id: null, created_by: 'bench', created_at: new Date().toISOString(),
    lines: [{ account: '1002', fund: 'GF', debit: '10.00', credit: null }, { account: '4101', fund: 'GF', debit: null, credit: '10.00' }] };
  const group = (n: number) => JSON.stringify(Array.from({ length: n }, () => entry));
  const commitOf = async (c: pg.Client, n: number) => {
    await c.query('BEGIN');
    await c.query('SELECT ledger_post_entries($1::jsonb)', [group(n)]);
    const t = performance.now();
    await c.query('COMMIT');
    return (performance.now() - t).toFixed(1);
  };
  const first = new pg.Client({ connectionString: dbUrl });
  await first.connect();
  for (let i = 0; i < 10; i++) await commitOf(first, 1);
  console.log(`COMMIT of 1,000 entries, journal_lines small: ${await commitOf(first, 1000)} ms`);
  for (let i = 0; i < 60; i++) await db.transaction((trx) => trx.raw('SELECT ledger_post_entries(?::jsonb)', [group(1000)]));
  const { rows } = await first.query(`SELECT reltuples, (SELECT count(*) FROM journal_lines) AS n FROM pg_class WHERE relname = 'journal_lines'`);
  console.log(`journal_lines: ${rows[0].n} lines, reltuples ${rows[0].reltuples} (not analyzed since)`);
  console.log(`COMMIT of 1,000 entries on the first connection: ${await commitOf(first, 1000)} ms`);
  await first.end();
  const su = Object.assign(new URL(svc.superuserUrl!), { pathname: new URL(dbUrl).pathname }).toString();
  const fresh = new pg.Client({ connectionString: process.env.EXPLAIN ? su : dbUrl });
  await fresh.connect();
  const plans: string[] = [];
  fresh.on('notice', (m) => plans.length < 2 && /entry_id = NEW.id/.test(m.message ?? '') && plans.push(m.message ?? ''));
  if (process.env.EXPLAIN) await fresh.query(`LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; SET auto_explain.log_analyze = on; SET client_min_messages = log`);
  console.log(`COMMIT of 1,000 entries on a new connection: ${await commitOf(fresh, 1000)} ms`);
  for (const p of plans) console.log(p);
  await fresh.end();
});
