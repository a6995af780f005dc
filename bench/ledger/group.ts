// npx tsx bench/ledger/group.ts: where one group's time goes (issue 15). Times, on a fresh embedded server,
// ledger_post_entries with groups of 1, 10, 100 and 1,000 two-line entries (Dr 1002 / Cr 4101, one fund, today, as
// the batch bench posts), and appendAuditBatch with as many rows; GROUP_EXPLAIN=1 prints auto_explain's nested
// statement timings (sent to the client: client_min_messages = log) for the group of 1,000.
import pg from 'pg';
import { writeEntries as writeEntriesForBench } from '../../src/ledger/service';
import { appendAuditBatch } from '../../src/audit';
import { withGroupFund } from '../support';

void withGroupFund('warmth-group', async ({ svc, today, dbUrl }) => {
  const db = svc.ctx.db;
  const entry = () => ({ date: today, description: 'group bench', source: 'manual' as const, lines: [{ account: '1002', fund: 'GF', debit: '10.00' }, { account: '4101', fund: 'GF', credit: '10.00' }] });
  const pay = () => ({ date: today, description: 'group bench pay', source: 'manual' as const, lines: [{ account: '5101', fund: 'GF', debit: '1.00' }, { account: '1002', fund: 'GF', credit: '1.00' }] });
  for (const n of [1, 10, 100, 1000, 1000]) {
    for (const kind of ['receipt', 'payment'] as const) {
      const posts = Array.from({ length: n }, () => ({ actor: 'bench', input: kind === 'receipt' ? entry() : pay() }));
      let tFn = 0;
      let tAudit = 0;
      await db.transaction(async (trx) => {
        const t0 = performance.now();
        const w = await writeEntriesForBench(trx, posts);
        tFn = performance.now() - t0;
        const t1 = performance.now();
        await appendAuditBatch(trx, w.map((x, i) => ({ actor: 'bench', action: 'ledger.posted', subject: `journal-entry:${'entry' in x ? x.entry.number : i}`, publicPayload: { i }, privatePayload: { i } })));
        tAudit = performance.now() - t1;
      });
      console.log(`${String(n).padStart(5)} ${kind.padEnd(8)} ledger_post_entries ${tFn.toFixed(1).padStart(8)} ms (${(tFn / n).toFixed(3)} ms/entry)  appendAuditBatch ${tAudit.toFixed(1).padStart(8)} ms (${(tAudit / n).toFixed(3)} ms/row)`);
    }
  }
  if (process.env.GROUP_EXPLAIN && svc.superuserUrl) {
    const c = new pg.Client({ connectionString: Object.assign(new URL(svc.superuserUrl), { pathname: new URL(dbUrl).pathname }).toString() });
    await c.connect();
    const notes: string[] = [];
    c.on('notice', (m) => notes.push(m.message ?? ''));
    await c.query(`LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; SET auto_explain.log_analyze = on; SET client_min_messages = log`);
    const posts = Array.from({ length: Number(process.env.GROUP_EXPLAIN) }, () => ({ date: today, description: 'x', source: 'manual', source_ref: null, reverses_id: null, created_by: 'bench', created_at: new Date().toISOString(),
      lines: [{ account: '1002', fund: 'GF', debit: '10.00', credit: null }, { account: '4101', fund: 'GF', debit: null, credit: '10.00' }] }));
    await c.query('BEGIN');
    await c.query('SELECT ledger_post_entries($1::jsonb)', [JSON.stringify(posts)]);
    await c.query('ROLLBACK');
    if (process.env.GROUP_EXPLAIN_PLAN) for (const m of notes) if (m.includes('WITH a AS')) console.log(m.slice(m.indexOf('Insert on') - 2000 > 0 ? 0 : 0, 12000).split('\n').filter((l) => /->|Insert|Trigger|Execution|Planning|Aggregate/.test(l)).join('\n'));
    // Sum the nested statements' durations by their first line.
    const by = new Map<string, { n: number; ms: number }>();
    for (const m of notes) {
      const d = /duration: ([\d.]+) ms/.exec(m);
      const q = /Query Text: ([^\n]*)/.exec(m);
      if (!d || !q) continue;
      const k = q[1]!.trim().slice(0, 90);
      const s = by.get(k) ?? { n: 0, ms: 0 };
      s.n++;
      s.ms += Number(d[1]);
      by.set(k, s);
    }
    for (const [k, s] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) console.log(`${String(s.n).padStart(6)} × ${s.ms.toFixed(1).padStart(9)} ms  ${k}`);
    await c.end();
  }
});
