import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { appendAuditBatch, verifyAuditChain, verifyEverything } from '../../src/audit';
import { createApp } from '../../src/app';
import { writeEntriesLockingAuditHead } from '../../src/ledger/service';
import { createKnex } from '../../src/platform/db';
import { testService } from '../support/env';
import { api, apiAt, errorCode } from '../support/api';
import { appWith } from '../support/second-app';
import { balancesMatchLines, db, donate, financeToken, makeTree, today, writeCounts } from './support';

// Issue 15: POST /journal-entries/batch and the group commit behind POST /journal-entries.

const pay = (fund: string, amount: string, description: string, extra: Record<string, unknown> = {}) => ({
  date: today(), description, lines: [{ account: '5101', fund, debit: amount }, { account: '1002', fund, credit: amount }], ...extra,
});
const uniq = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const entriesWith = async (description: string) => Number((await db()('journal_entries').where({ description }).count('* as c').first())!.c);
const keyStored = async (key: string) => Number((await db()('idempotency_keys').where({ key }).count('* as c').first())!.c);

describe('ledger: batch posting (POST /journal-entries/batch) and group commit', () => {
  let fin: string;
  before(async () => {
    fin = await financeToken();
  });

  it('atomic (default): all entries posted in order with consecutive numbers, one audit row each, the chain verifies', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '100.00', today());
    const tag = uniq();
    const r = await api('POST', '/journal-entries/batch', { token: fin, body: { entries: [1, 2, 3].map((i) => pay(t.cy, '10.00', `b${i} ${tag}`, { idempotencyKey: `k${i}-${tag}` })) } });
    expect(r.status, r.text).to.equal(201);
    expect(r.body).to.include({ atomic: true, posted: 3, refused: 0 });
    expect(r.body.results.map((x: any) => x.status)).to.deep.equal([201, 201, 201]);
    const numbers = r.body.results.map((x: any) => x.body.number as string);
    const seqOf = (n: string) => Number(n.slice(5));
    expect(seqOf(numbers[1]) - seqOf(numbers[0])).to.equal(1);
    expect(seqOf(numbers[2]) - seqOf(numbers[1])).to.equal(1);
    const audit = await db()('audit_log').whereIn('subject', numbers.map((n: string) => `journal-entry:${n}`)).orderBy('seq').select('seq', 'action', 'subject');
    expect(audit.map((a) => a.subject)).to.deep.equal(numbers.map((n: string) => `journal-entry:${n}`));
    expect(audit.every((a) => a.action === 'ledger.posted')).to.equal(true);
    expect(audit[2]!.seq - audit[0]!.seq).to.equal(2);
    expect((await verifyAuditChain(db())).ok).to.equal(true);
    expect((await api('GET', `/funds/${t.cy}/balance`, { token: fin })).body.bank).to.equal('70.00');
    expect(await balancesMatchLines([t.cy])).to.deep.equal([]);
  });

  it('atomic with a refusal in the middle: the refusal answers (409, index and every refusal in details) and nothing is written, keys included', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '50.00', today());
    const tag = uniq();
    const body = { entries: [pay(t.cy, '20.00', `a ${tag}`, { idempotencyKey: `a-${tag}` }), pay(t.cy, '40.00', `b ${tag}`, { idempotencyKey: `b-${tag}` }), pay(t.cy, '5.00', `c ${tag}`, { idempotencyKey: `c-${tag}` })] };
    const before = await writeCounts();
    const r = await api('POST', '/journal-entries/batch', { token: fin, body });
    expect(r.status, r.text).to.equal(409);
    expect(errorCode(r)).to.equal('insufficient_funds');
    expect(r.body.error.details).to.include({ index: 1, fund: t.cy, account: '1002' });
    expect(r.body.error.details.refused.map((x: any) => x.index)).to.deep.equal([1]);
    expect(r.body.error.messageZh).to.match(/第 1 条/);
    expect(await writeCounts()).to.deep.equal(before);
    for (const k of ['a', 'b', 'c']) expect(await keyStored(`${k}-${tag}`)).to.equal(0);
    // Once the cause is fixed the same batch (same keys) goes through.
    await donate(fin, t.cy, '100.00', today());
    const again = await api('POST', '/journal-entries/batch', { token: fin, body });
    expect(again.status, again.text).to.equal(201);
    expect(again.body.posted).to.equal(3);
  });

  it('atomic with an invalid entry (unbalanced, unknown fund) refuses the whole batch before any transaction', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '50.00', today());
    const before = await writeCounts();
    const bad = { date: today(), description: 'unbalanced', lines: [{ account: '5101', fund: t.cy, debit: '1.00' }, { account: '1002', fund: t.cy, credit: '2.00' }] };
    const r = await api('POST', '/journal-entries/batch', { token: fin, body: { entries: [pay(t.cy, '1.00', 'ok'), bad] } });
    expect(r.status, r.text).to.equal(422);
    expect(errorCode(r)).to.equal('unbalanced_entry');
    expect(r.body.error.details.index).to.equal(1);
    const unknown = await api('POST', '/journal-entries/batch', { token: fin, body: { entries: [pay('NO-SUCH-FUND', '1.00', 'x')] } });
    expect(unknown.status, unknown.text).to.equal(400);
    expect(await writeCounts()).to.deep.equal(before);
  });

  it('atomic=false: per-entry answers; the refused entry leaves no trace (no entry, no audit row, key not kept), the others commit', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '50.00', today());
    const tag = uniq();
    const entries = [pay(t.cy, '20.00', `a ${tag}`, { idempotencyKey: `a-${tag}` }), pay(t.cy, '40.00', `b ${tag}`, { idempotencyKey: `b-${tag}` }), pay(t.cy, '5.00', `c ${tag}`, { idempotencyKey: `c-${tag}` })];
    const seq0 = (await db()('audit_head').first()).seq;
    const r = await api('POST', '/journal-entries/batch', { token: fin, body: { atomic: false, entries } });
    expect(r.status, r.text).to.equal(200);
    expect(r.body).to.include({ atomic: false, posted: 2, refused: 1 });
    expect(r.body.results.map((x: any) => x.status)).to.deep.equal([201, 409, 201]);
    expect(r.body.results[1].body.error).to.include({ code: 'insufficient_funds' });
    expect(r.body.results[1].body.error.details).to.include({ fund: t.cy, account: '1002', balance: '30.00', required: '40.00' });
    expect(await entriesWith(`b ${tag}`)).to.equal(0);
    expect(await keyStored(`b-${tag}`)).to.equal(0);
    expect(await keyStored(`a-${tag}`)).to.equal(1);
    const [a, c] = [r.body.results[0].body, r.body.results[2].body];
    expect(Number(c.number.slice(5)) - Number(a.number.slice(5)), 'the refused entry took no number').to.equal(1);
    const rows = await db()('audit_log').where('seq', '>', seq0).whereIn('subject', [`journal-entry:${a.number}`, `journal-entry:${c.number}`]);
    expect(rows).to.have.length(2);
    expect((await api('GET', `/funds/${t.cy}/balance`, { token: fin })).body.bank).to.equal('25.00');
    // The refused entry, retried alone with its key once the money is there: posted now (no answer was kept).
    await donate(fin, t.cy, '100.00', today());
    const retry = await api('POST', '/journal-entries', { token: fin, body: pay(t.cy, '40.00', `b ${tag}`), headers: { 'Idempotency-Key': `b-${tag}` } });
    expect(retry.status, retry.text).to.equal(201);
    expect(await balancesMatchLines([t.cy])).to.deep.equal([]);
  });

  it('back-dated entries in one group: each is checked on the running day closings of the ones before it (set-based function), day rows written once and right', async () => {
    const t = await makeTree(fin);
    const day = (k: number) => new Date(Date.parse(`${today()}T00:00:00Z`) - k * 86_400_000).toISOString().slice(0, 10);
    await donate(fin, t.cy, '100.00', day(6));
    await donate(fin, t.cy, '50.00', day(2));
    const tag = uniq();
    const at = (d: string, amount: string, n: string) => ({ ...pay(t.cy, amount, `${n} ${tag}`), date: d });
    const entries = [
      at(day(4), '60.00', 'a'),
      at(day(5), '50.00', 'b'), // day 4 would be 40 − 50
      at(day(5), '30.00', 'c'),
      { date: day(1), description: `d ${tag}`, lines: [{ account: '1002', fund: t.cy, debit: '20.00' }, { account: '4101', fund: t.cy, credit: '20.00' }] },
      at(today(), '80.00', 'e'),
      at(today(), '0.01', 'f'), // nothing left
    ];
    const r = await api('POST', '/journal-entries/batch', { token: fin, body: { atomic: false, entries } });
    expect(r.status, r.text).to.equal(200);
    expect(r.body.results.map((x: any) => x.status)).to.deep.equal([201, 409, 201, 201, 201, 409]);
    expect(r.body.results[1].body.error.details).to.include({ fund: t.cy, account: '1002', date: day(4), balance: '40.00', required: '50.00' });
    expect(r.body.results[5].body.error.details).to.include({ fund: t.cy, account: '1002', date: today(), balance: '0.00', required: '0.01' });
    const numbers = r.body.results.filter((x: any) => x.status === 201).map((x: any) => Number(x.body.number.slice(5)));
    expect(numbers, 'numbers in list order, gapless').to.deep.equal(numbers.map((_: number, i: number) => numbers[0] + i));
    const { rows } = await db().raw(`SELECT to_char(date, 'YYYY-MM-DD') AS date, closing::text FROM ledger_daily_balances WHERE account = '1002' AND fund = ? ORDER BY date`, [t.cy]);
    expect(rows).to.deep.equal([
      { date: day(6), closing: '100.00' }, { date: day(5), closing: '70.00' }, { date: day(4), closing: '10.00' },
      { date: day(2), closing: '60.00' }, { date: day(1), closing: '80.00' }, { date: today(), closing: '0.00' },
    ]);
    expect(await entriesWith(`b ${tag}`) + (await entriesWith(`f ${tag}`))).to.equal(0);
    expect(await balancesMatchLines([t.cy])).to.deep.equal([]);
    expect((await verifyAuditChain(db())).ok).to.equal(true);
  });

  it('idempotency per entry: a key used by POST /journal-entries gives that first answer inside a batch; another entry under it is a conflict', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '100.00', today());
    const tag = uniq();
    const first = await api('POST', '/journal-entries', { token: fin, body: pay(t.cy, '7.00', `one ${tag}`), headers: { 'Idempotency-Key': `one-${tag}` } });
    expect(first.status).to.equal(201);
    const r = await api('POST', '/journal-entries/batch', {
      token: fin,
      body: { atomic: false, entries: [pay(t.cy, '7.00', `one ${tag}`, { idempotencyKey: `one-${tag}` }), pay(t.cy, '8.00', `other ${tag}`, { idempotencyKey: `one-${tag}x` }), pay(t.cy, '9.00', `changed ${tag}`, { idempotencyKey: `one-${tag}` })] },
    });
    // Two entries with one key in one batch: refused as a whole.
    expect(r.status, r.text).to.equal(400);
    const ok = await api('POST', '/journal-entries/batch', { token: fin, body: { atomic: false, entries: [pay(t.cy, '7.00', `one ${tag}`, { idempotencyKey: `one-${tag}` }), pay(t.cy, '8.00', `two ${tag}`, { idempotencyKey: `two-${tag}` })] } });
    expect(ok.status, ok.text).to.equal(200);
    expect(ok.body.results[0]).to.deep.equal({ index: 0, status: 201, body: first.body });
    expect(ok.body.results[1].status).to.equal(201);
    expect(await entriesWith(`one ${tag}`)).to.equal(1);
    // The same key with another entry: 409 idempotency_conflict for that entry (atomic: for the batch).
    const clash = await api('POST', '/journal-entries/batch', { token: fin, body: { entries: [pay(t.cy, '1.00', `three ${tag}`, { idempotencyKey: `three-${tag}` }), pay(t.cy, '9.00', `changed ${tag}`, { idempotencyKey: `one-${tag}` })] } });
    expect(clash.status, clash.text).to.equal(409);
    expect(errorCode(clash)).to.equal('idempotency_conflict');
    expect(clash.body.error.details.index).to.equal(1);
    expect(await entriesWith(`three ${tag}`)).to.equal(0);
    // And a batch entry's key gives its answer to POST /journal-entries too.
    const single = await api('POST', '/journal-entries', { token: fin, body: pay(t.cy, '8.00', `two ${tag}`), headers: { 'Idempotency-Key': `two-${tag}` } });
    expect(single.status).to.equal(201);
    expect(single.body).to.deep.equal(ok.body.results[1].body);
  });

  it('idempotency for the batch: the same Idempotency-Key replays the whole first answer; with another body it is a conflict', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '100.00', today());
    const tag = uniq();
    const body = { atomic: false, entries: [pay(t.cy, '1.00', `x ${tag}`), pay(t.cy, '500.00', `y ${tag}`)] };
    const r1 = await api('POST', '/journal-entries/batch', { token: fin, body, headers: { 'Idempotency-Key': `batch-${tag}` } });
    expect(r1.status, r1.text).to.equal(200);
    expect(r1.body.results.map((x: any) => x.status)).to.deep.equal([201, 409]);
    const r2 = await api('POST', '/journal-entries/batch', { token: fin, body, headers: { 'Idempotency-Key': `batch-${tag}` } });
    expect(r2.status).to.equal(200);
    expect(r2.body).to.deep.equal(r1.body);
    expect(await entriesWith(`x ${tag}`)).to.equal(1);
    const r3 = await api('POST', '/journal-entries/batch', { token: fin, body: { ...body, atomic: true }, headers: { 'Idempotency-Key': `batch-${tag}` } });
    expect(r3.status).to.equal(409);
    expect(errorCode(r3)).to.equal('idempotency_conflict');
  });

  it('limits: 1,000 entries are taken; 1,001 entries, an empty batch and a body over the size limit are clear 4xx and write nothing', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '100000.00', today());
    const tag = uniq();
    const thousand = Array.from({ length: 1000 }, (_, i) => pay(t.cy, '1.00', `m ${tag}`, { idempotencyKey: `m${i}-${tag}` }));
    const ok = await api('POST', '/journal-entries/batch', { token: fin, body: { entries: thousand } });
    expect(ok.status, ok.text.slice(0, 300)).to.equal(201);
    expect(ok.body.posted).to.equal(1000);
    expect(await entriesWith(`m ${tag}`)).to.equal(1000);
    const before = await writeCounts();
    const over = await api('POST', '/journal-entries/batch', { token: fin, body: { entries: [...thousand, pay(t.cy, '1.00', 'one too many')] } });
    expect(over.status).to.equal(400);
    expect(errorCode(over)).to.equal('validation_failed');
    expect(over.body.error.message).to.match(/at most 1000 entries/);
    const empty = await api('POST', '/journal-entries/batch', { token: fin, body: { entries: [] } });
    expect(empty.status).to.equal(400);
    const wordy = (i: number) => ({ ...pay(t.cy, '1.00', 'x'.repeat(480)), lines: pay(t.cy, '1.00', '').lines.map((l) => ({ ...l, memo: `${i}`.padEnd(500, 'm') })) });
    const big = await api('POST', '/journal-entries/batch', { token: fin, body: { entries: Array.from({ length: 1000 }, (_, i) => wordy(i)) } });
    expect(big.status).to.equal(413);
    expect(errorCode(big)).to.equal('payload_too_large');
    expect(await writeCounts()).to.deep.equal(before);
  });

  it('a batch of more than 20,000 lines in all is 400 (with a body limit that lets it through)', async () => {
    const t = await makeTree(fin);
    const second = await appWith({ bodyLimit: '20mb' });
    try {
      const line = (i: number) => ({ account: '5101', fund: t.cy, ...(i % 2 ? { credit: '1.00' } : { debit: '1.00' }) });
      const entries = Array.from({ length: 101 }, () => ({ date: today(), description: 'wide', lines: Array.from({ length: 200 }, (_, i) => line(i)) }));
      const before = await writeCounts();
      const r = await apiAt(second.url.replace(/\/api\/v1$/, ''), 'POST', '/journal-entries/batch', { token: fin, body: { entries } });
      expect(r.status, r.text.slice(0, 200)).to.equal(400);
      expect(r.body.error.message).to.match(/20000 lines/);
      expect(await writeCounts()).to.deep.equal(before);
    } finally {
      second.close();
    }
  });

  it('group commit: concurrent single postings share transactions; refused ones leave no trace and their keys are free again', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '100.00', today());
    const tag = uniq();
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => api('POST', '/journal-entries', { token: fin, body: pay(t.cy, '30.00', `g${i} ${tag}`), headers: { 'Idempotency-Key': `g${i}-${tag}` } })),
    );
    const ok = results.flatMap((r, i) => (r.status === 201 ? [i] : []));
    const refused = results.flatMap((r, i) => (r.status === 409 ? [i] : []));
    expect(ok.length, results.map((r) => r.status).join(',')).to.equal(3);
    expect(refused.length).to.equal(21);
    for (const i of refused) {
      expect(errorCode(results[i]!)).to.equal('insufficient_funds');
      expect(await entriesWith(`g${i} ${tag}`)).to.equal(0);
      expect(await keyStored(`g${i}-${tag}`)).to.equal(0);
    }
    // Entries committed by one transaction share its xmin: fewer transactions than postings (the first
    // arrival starts a group alone; the others queue behind it).
    const xmins = await db()('journal_entries').where('description', 'like', `% ${tag}`).select(db().raw('xmin::text AS x'));
    expect(xmins).to.have.length(3);
    const all = await Promise.all(
      Array.from({ length: 16 }, (_, i) => api('POST', '/journal-entries', { token: fin, body: { date: today(), description: `h${i} ${tag}`, lines: [{ account: '1001', fund: t.cy, debit: '0.01' }, { account: '1002', fund: t.cy, credit: '0.01' }] } })),
    );
    expect(all.every((r) => r.status === 201)).to.equal(true);
    const groups = await db()('journal_entries').where('description', 'like', `h% ${tag}`).select(db().raw('xmin::text AS x'));
    expect(new Set(groups.map((g: any) => g.x)).size, 'some postings were committed together').to.be.below(16);
    // A refused key, retried after the cause is fixed, posts.
    await donate(fin, t.cy, '30.00', today());
    const retry = await api('POST', '/journal-entries', { token: fin, body: pay(t.cy, '30.00', `g${refused[0]} ${tag}`), headers: { 'Idempotency-Key': `g${refused[0]}-${tag}` } });
    expect(retry.status, retry.text).to.equal(201);
    expect(await balancesMatchLines([t.cy])).to.deep.equal([]);
    expect((await verifyAuditChain(db())).ok).to.equal(true);
  });

  it('10 concurrent reversals of one entry (advisory lock on its id): exactly one posts, the rest are 409 invalid_state', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '100.00', today());
    const e = await api('POST', '/journal-entries', { token: fin, body: pay(t.cy, '10.00', 'to reverse') });
    const rs = await Promise.all(Array.from({ length: 10 }, () => api('POST', `/journal-entries/${e.body.id}/reverse`, { token: fin, body: { reason: 'twice?' } })));
    expect(rs.filter((r) => r.status === 201)).to.have.length(1);
    for (const r of rs.filter((x) => x.status !== 201)) expect(errorCode(r)).to.equal('invalid_state');
    expect(Number((await db()('ledger_reversals').where({ original_id: e.body.id }).count('* as c').first())!.c)).to.equal(1);
  });

  it('writeEntriesLockingAuditHead: the entries, then the chain head locked in the same call; the rows chain on it; a refused entry writes nothing', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '30.00', today());
    const tag = uniq();
    const rolledBack = new Error('rolled back on purpose: the entry has no audit row of its own');
    const done = await db().transaction(async (trx) => {
      const { outcomes, auditHead } = await writeEntriesLockingAuditHead(trx, [
        { actor: 'test', input: { ...pay(t.cy, '10.00', `lh1 ${tag}`), source: 'manual' } as any },
        { actor: 'test', input: { ...pay(t.cy, '90.00', `lh2 ${tag}`), source: 'manual' } as any },
      ]);
      expect('error' in outcomes[1]! && outcomes[1].error.code).to.equal('insufficient_funds');
      const current = await trx('audit_head').where({ id: 1 }).first();
      expect(auditHead).to.deep.equal({ seq: Number(current.seq), hash: current.hash });
      // Locked by this transaction already: another one cannot take the head until it ends.
      const other = await db().raw('SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE NOWAIT').then(() => 'took it', (e: { code?: string }) => e.code);
      expect(other).to.equal('55P03');
      expect(Number((await trx('journal_entries').where({ description: `lh1 ${tag}` }).count('* as c').first())!.c)).to.equal(1);
      expect(Number((await trx('journal_entries').where({ description: `lh2 ${tag}` }).count('* as c').first())!.c)).to.equal(0);
      const [row] = await appendAuditBatch(trx, [{ actor: 'test', action: 'ledger.test', subject: 'test:locked-head', publicPayload: { tag }, privatePayload: {} }], auditHead);
      expect(row!.seq).to.equal(auditHead!.seq + 1);
      expect((await verifyAuditChain(trx)).ok).to.equal(true);
      throw rolledBack;
    }).catch((e) => e);
    expect(done).to.equal(rolledBack);
    expect(await entriesWith(`lh1 ${tag}`)).to.equal(0);
  });

  it('plans: ledger_post_entries and audit_append_rows keep generic plans (replanning was half of a one-entry call); the commit-time balance check reads an entry\'s lines by its id apart from any LIMIT', async () => {
    const { rows } = await db().raw(`SELECT proname, proconfig FROM pg_proc WHERE proname IN ('ledger_post_entries', 'audit_append_rows') ORDER BY proname`);
    expect(rows.map((r: any) => [r.proname, r.proconfig])).to.deep.equal([
      ['audit_append_rows', ['plan_cache_mode=force_generic_plan']],
      ['ledger_post_entries', ['plan_cache_mode=force_generic_plan']],
    ]);
    // With LIMIT 1 over GROUP BY fund, a connection planning it on stale statistics walked the (fund, account,
    // date) index through the whole table for each entry: 13 s to commit 1,000 entries (bench/ledger/commit-check.ts).
    const def = (await db().raw(`SELECT pg_get_functiondef('journal_entry_balanced()'::regprocedure) AS d`)).rows[0].d as string;
    expect(def).to.match(/FROM \(SELECT fund, debit, credit FROM journal_lines WHERE entry_id = NEW\.id OFFSET 0\) l/);
  });

  it('two instances (two pools, two group-commit queues) posting at once: gapless numbers, each entry its own audit row, books agree with the log', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '100.00', today());
    const ctx = testService().ctx;
    const url = (ctx.db.client.config.connection as { connectionString: string }).connectionString;
    const otherDb = createKnex(url, { min: 0, max: 4 });
    const server = createApp({ ...ctx, db: otherDb, log: pino({ level: 'silent' }) }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const other = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const tag = uniq();
      const rs = await Promise.all(
        Array.from({ length: 40 }, (_, i) => {
          const body = i % 5 === 4 ? pay(t.cy, '1000.00', `x${i} ${tag}`) : pay(t.cy, '1.00', `x${i} ${tag}`);
          return i % 2 ? apiAt(other, 'POST', '/journal-entries', { token: fin, body }) : api('POST', '/journal-entries', { token: fin, body });
        }),
      );
      expect(rs.filter((r) => r.status === 201)).to.have.length(32);
      for (const r of rs.filter((x) => x.status !== 201)) expect(errorCode(r)).to.equal('insufficient_funds');
      const numbers = rs.filter((r) => r.status === 201).map((r) => r.body.number as string);
      const seqs = numbers.map((n) => Number(n.slice(5))).sort((a, b) => a - b);
      expect(seqs[seqs.length - 1]! - seqs[0]!, 'refused postings take no number').to.equal(31);
      const audit = await db()('audit_log').whereIn('subject', numbers.map((n) => `journal-entry:${n}`)).select('subject', 'public_payload');
      expect(audit).to.have.length(32);
      for (const a of audit) expect(`journal-entry:${JSON.parse(a.public_payload).number}`).to.equal(a.subject);
      const full = await verifyEverything(db());
      expect(full.ok, JSON.stringify(full)).to.equal(true);
      expect(await balancesMatchLines([t.cy])).to.deep.equal([]);
    } finally {
      server.close();
      await otherDb.destroy();
    }
  });

  it('a NUL character in a description or a memo is 400 naming the field, single or in a batch, and writes nothing (PostgreSQL cannot store it)', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '10.00', today());
    const before = await writeCounts();
    const one = await api('POST', '/journal-entries', { token: fin, body: pay(t.cy, '1.00', 'a\u0000b') });
    expect(one.status, one.text).to.equal(400);
    expect(one.body.error.details).to.deep.equal([{ in: 'body', path: 'description', line: 1, message: '不能含空字符 · may not contain U+0000' }]);
    expect(one.body.error.messageZh).to.match(/^提交的文字含有空字符（U\+0000），无法保存/);
    const memo = pay(t.cy, '1.00', 'memo');
    (memo.lines[1] as Record<string, unknown>).memo = 'x\u0000';
    const batch = await api('POST', '/journal-entries/batch', { token: fin, body: { atomic: false, entries: [pay(t.cy, '1.00', 'fine'), memo] } });
    expect(batch.status, batch.text).to.equal(400);
    expect(batch.body.error.details[0].path).to.equal('entries.1.lines.1.memo');
    expect(await writeCounts()).to.deep.equal(before);
  });
});
