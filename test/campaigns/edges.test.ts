// Edges of the campaigns domain found by probing and fixed: line numbers never reused by a recompute, a payment
// run refused partway (the state follows what was paid, a 4xx says what), the result import's Idempotency-Key.
import { expect } from 'chai';
import iconv from 'iconv-lite';
import { api, errorCode, type ApiResponse } from '../support/api';
import { fundBalance } from '../../src/ledger';
import { campaignDisclosureLines } from '../../src/campaigns/disclosure';
import { paymentTestHooks } from '../../src/campaigns/service';
import { getBytes, pdfText, squash } from '../reports/support';
import { allLines, createCampaign, db, funds, household, ok, people, today, waitPayable } from './support';

/** Journal entries of a campaign's lines, and the campaign's timeline rows: what a refused call must not add to. */
async function written(id: number) {
  const k = db();
  const entries = Number((await k('journal_entries').where('source_ref', 'like', `campaign:${id}:%`).count('* as c').first())!.c);
  const events = Number((await k('campaign_events').where({ campaign_id: id }).count('* as c').first())!.c);
  return { entries, events };
}

async function bankFileRefs(token: string, id: number) {
  const r = await getBytes(`/campaigns/${id}/bank-file?format=csv`, token);
  expect(r.status, r.text.slice(0, 300)).to.equal(200);
  return iconv.decode(r.buf, 'gbk').trim().split('\r\n').slice(1).map((row) => row.split(',')).map((c) => ({ ref: c[5]!.split(' ')[0]!, amount: c[4]! }));
}

describe('campaigns: edges (line numbers, runs refused partway, result import replay)', function () {
  this.timeout(180_000);
  // District campaigns of two districts no other campaign test uses; other files' households there may join the roll.
  const S = 'SY';
  const F = 'FT';
  let p: Awaited<ReturnType<typeof people>>;
  let tree: { root: string; funds: Record<string, string> };
  const rules = { perCategory: { deep: '10.00' }, cap: '10.00' };

  before(async () => {
    p = await people([S, F]);
    tree = await funds(p.finance.token, [S, F], '100000.00');
  });

  it('a recompute never reuses a line number: a dropped-out line stays removed with its number, and only included lines reach the notice, the bank file, the ledger and the disclosure', async () => {
    const o = p.officers[S]!.token;
    const x1 = await household(o, S, { headName: '甲一', category: 'deep', memberCount: 1, causes: ['other'] });
    const x2 = await household(o, S, { headName: '乙二', category: 'deep', memberCount: 1, causes: ['other'] });
    const c = await createCampaign(o, { funds: [tree.funds[S]], rules });
    await ok('POST', `/campaigns/${c.id}/roll`, o, {});
    let lines = await allLines(o, c.id);
    const noOf = (hid: number) => lines.find((l) => l.householdId === hid)?.lineNo as number;
    const n = noOf(x2.id);
    // x2 is the newest file: the highest-numbered line, the one a max()+1 numbering would hand out again.
    expect(n).to.equal(Math.max(...lines.map((l) => l.lineNo as number)));

    // x2 drops out (its category has no base amount now): its line is removed, not deleted.
    await ok('PATCH', `/households/${x2.id}`, o, { category: 'relative' });
    const dropped = await ok('POST', `/campaigns/${c.id}/roll`, o, {});
    expect(dropped.removed).to.equal(1);
    expect(dropped.changes.removed.map((r: { lineNo: number }) => r.lineNo)).to.deep.equal([n]);
    lines = await allLines(o, c.id);
    expect(lines.find((l) => l.lineNo === n)).to.deep.include({ householdId: x2.id, status: 'removed' });
    // A recompute with nothing new changes nothing (the removed line is not removed again).
    const still = await ok('POST', `/campaigns/${c.id}/roll`, o, { dryRun: true });
    expect([still.added, still.removed, still.amountChanged]).to.deep.equal([0, 0, 0]);

    // A new file gets a new number, never n.
    const x3 = await household(o, S, { headName: '丙三', category: 'deep', memberCount: 1, causes: ['other'] });
    const grown = await ok('POST', `/campaigns/${c.id}/roll`, o, {});
    expect(grown.added).to.equal(1);
    lines = await allLines(o, c.id);
    expect(noOf(x3.id)).to.be.above(n);
    expect(lines.find((l) => l.lineNo === n)!.householdId).to.equal(x2.id);
    // Eligible again: x2 gets its own line n back (same household, same number); then drops out again.
    await ok('PATCH', `/households/${x2.id}`, o, { category: 'deep' });
    const back = await ok('POST', `/campaigns/${c.id}/roll`, o, {});
    expect(back.added).to.equal(1);
    lines = await allLines(o, c.id);
    expect(lines.find((l) => l.lineNo === n)).to.deep.include({ householdId: x2.id, status: 'included', amount: '10.00' });
    await ok('PATCH', `/households/${x2.id}`, o, { category: 'relative' });
    await ok('POST', `/campaigns/${c.id}/roll`, o, {});
    // Every line number names one household, and each household has one line.
    lines = await allLines(o, c.id);
    expect(new Set(lines.map((l) => l.lineNo)).size).to.equal(lines.length);
    expect(new Set(lines.map((l) => l.householdId)).size).to.equal(lines.length);
    // A removed line cannot be reviewed back in.
    const r = await api('POST', `/campaigns/${c.id}/lines/${n}/review`, { token: o, body: { action: 'include', reason: '恢复' } });
    expect(r.status).to.equal(409);
    expect(errorCode(r)).to.equal('invalid_state');
    await ok('POST', `/campaigns/${c.id}/lines/${noOf(x1.id)}/review`, o, { action: 'exclude', reason: '已享受其他慰问' });

    await ok('POST', `/campaigns/${c.id}/submit`, o, {});
    await ok('POST', `/campaigns/${c.id}/approve`, p.approver1.token, {});
    const included = new Set((await allLines(o, c.id)).filter((l) => l.status === 'included').map((l) => l.lineNo as number));
    expect(included.has(n)).to.equal(false);
    expect(included.has(noOf(x3.id))).to.equal(true);
    // The notice board: included lines only; an objection to the removed line is 404.
    const pub = await api('GET', `/public/campaigns/${c.id}/lines?limit=500`);
    expect(pub.status).to.equal(200);
    expect(new Set(pub.body.items.map((l: { lineNo: number }) => l.lineNo))).to.deep.equal(included);
    const obj = await api('POST', `/public/campaigns/${c.id}/lines/${n}/objections`, { body: { text: '已不符合条件' } });
    expect(obj.status).to.equal(404);
    errorCode(obj);

    await waitPayable(o, c.id);
    await ok('POST', `/campaigns/${c.id}/payments`, p.finance.token, {});
    // The bank file and the ledger: no reference to the removed or excluded line.
    const refs = (await bankFileRefs(p.finance.token, c.id)).map((x) => x.ref);
    expect(refs).to.include(`C${c.id}-${noOf(x3.id)}`);
    expect(refs).not.to.include(`C${c.id}-${n}`);
    expect(refs).not.to.include(`C${c.id}-${noOf(x1.id)}`);
    for (const l of [n, noOf(x1.id)]) {
      const m = await db()('journal_lines').where('memo', 'like', `C${c.id}-${l} %`).count('* as c').first();
      expect(Number(m!.c), `ledger lines of line ${l}`).to.equal(0);
    }
    // The disclosure: its lines are the included ones; the PDF names x3's line, never n.
    const disclosed: number[] = [];
    for await (const batch of campaignDisclosureLines(db(), c.id)) disclosed.push(...batch.map((l) => l.lineNo));
    expect(new Set(disclosed)).to.deep.equal(included);
    const pdf = await getBytes(`/reports/campaign-disclosure.pdf?campaign=${c.id}`);
    expect(pdf.status, pdf.text.slice(0, 300)).to.equal(200);
    const text = squash((await pdfText(pdf.buf)).text);
    expect(text).to.match(new RegExp(`C${c.id}-${noOf(x3.id)}(?!\\d)`));
    expect(text).not.to.match(new RegExp(`C${c.id}-${n}(?!\\d)`));
  });

  let paying: { id: number };
  it('a payment run refused partway (the fund drained between chunks): 409 payment_interrupted with what was paid; the campaign is paying, its bank file exportable; a retry pays the rest once', async () => {
    const o = p.officers[F]!.token;
    const mine = [
      await household(o, F, { headName: '赵甲', category: 'deep', memberCount: 1, causes: ['other'] }),
      await household(o, F, { headName: '钱乙', category: 'deep', memberCount: 1, causes: ['other'] }),
      await household(o, F, { headName: '孙丙', category: 'deep', memberCount: 1, causes: ['other'] }),
    ];
    paying = await createCampaign(o, { funds: [tree.funds[F]], rules });
    await ok('POST', `/campaigns/${paying.id}/roll`, o, {});
    await ok('POST', `/campaigns/${paying.id}/submit`, o, {});
    await ok('POST', `/campaigns/${paying.id}/approve`, p.approver1.token, {});
    await waitPayable(o, paying.id);
    const fund = tree.funds[F]!;
    const before = await written(paying.id);

    // Between chunk 1 and chunk 2 the fund's bank money is drawn out as cash: the ledger refuses chunk 2 (no overdraft).
    let drained = '0.00';
    paymentTestHooks.chunkSize = 1;
    paymentTestHooks.beforeChunk = async (index) => {
      if (index !== 1) return;
      drained = (await fundBalance(db(), fund)).bank;
      await ok('POST', '/journal-entries', p.finance.token, { date: today(), description: '提取现金 drawn as cash', lines: [{ account: '1001', fund, debit: drained }, { account: '1002', fund, credit: drained }] });
    };
    const key = `edges-pay-${paying.id}`;
    let refused: ApiResponse;
    try {
      refused = await api('POST', `/campaigns/${paying.id}/payments`, { token: p.finance.token, body: {}, headers: { 'Idempotency-Key': key } });
    } finally {
      paymentTestHooks.chunkSize = null;
      paymentTestHooks.beforeChunk = null;
    }
    expect(refused.status, refused.text.slice(0, 400)).to.equal(409);
    expect(errorCode(refused)).to.equal('payment_interrupted');
    const d = refused.body.error.details;
    expect(d).to.deep.include({ campaignId: paying.id, status: 'paying', paidNow: 1, amountNow: '10.00' });
    expect(d.entries).to.have.length(1);
    expect(d.open).to.be.at.least(2);
    expect(d.cause).to.deep.include({ status: 409, code: 'insufficient_funds' });
    expect(refused.body.error.messageZh).to.contain('已付 1 户');

    // The state is what was paid: one line paid (its entry), the campaign paying, nothing of chunk 2 posted.
    const c = await ok('GET', `/campaigns/${paying.id}`, p.finance.token);
    expect(c.status).to.equal('paying');
    const linesPaid = c.timeline.filter((e: { action: string }) => e.action === 'lines_paid');
    expect(linesPaid).to.have.length(1);
    expect(linesPaid[0]).to.deep.include({ fromStatus: 'payable', toStatus: 'paying' });
    const lines = await allLines(p.finance.token, paying.id);
    const paidLines = lines.filter((l) => l.payState === 'paid');
    expect(paidLines).to.have.length(1);
    expect(paidLines[0].entryNumber).to.equal(d.entries[0]);
    expect((await written(paying.id)).entries - before.entries).to.equal(1);
    // The bank file of what was paid can go to the bank now.
    expect((await bankFileRefs(p.finance.token, paying.id)).map((x) => x.ref)).to.deep.equal([`C${paying.id}-${paidLines[0].lineNo}`]);

    // The money back in the bank; the same request again finishes the run, each line paid once.
    await ok('POST', '/journal-entries', p.finance.token, { date: today(), description: '现金存回 back to the bank', lines: [{ account: '1002', fund, debit: drained }, { account: '1001', fund, credit: drained }] });
    const retry = await api('POST', `/campaigns/${paying.id}/payments`, { token: p.finance.token, body: {}, headers: { 'Idempotency-Key': key } });
    expect(retry.status, retry.text.slice(0, 300)).to.equal(200);
    const after = await allLines(p.finance.token, paying.id);
    const settled = after.filter((l) => l.status === 'included' && l.payState !== 'unpaid');
    expect(retry.body.paidNow + 1).to.equal(settled.length);
    for (const h of mine) expect(after.find((l) => l.householdId === h.id).payState).to.equal('paid');
    expect((await written(paying.id)).entries - before.entries).to.equal(settled.length);
    const expense = await db()('journal_lines').where('memo', 'like', `C${paying.id}-%`).where('account', '5101').select('memo');
    expect(expense).to.have.length(settled.length);
    const replay = await api('POST', `/campaigns/${paying.id}/payments`, { token: p.finance.token, body: {}, headers: { 'Idempotency-Key': key } });
    expect(replay.body).to.deep.equal(retry.body);
  });

  it('the bank result import replays its Idempotency-Key: the first answer again, nothing re-imported; the key with another file is 409', async () => {
    const refs = await bankFileRefs(p.finance.token, paying.id);
    expect(refs.length).to.be.at.least(3);
    const file = ['附言,金额,状态,失败原因', ...refs.map((r, i) => `${r.ref},${r.amount},${i === 0 ? '失败' : '成功'},${i === 0 ? '账户已销户' : ''}`)].join('\r\n');
    const key = `edges-result-${paying.id}`;
    const post = (content: string, k?: string) => api('POST', `/campaigns/${paying.id}/bank-results`, { token: p.finance.token, body: { format: 'csv', content }, headers: k ? { 'Idempotency-Key': k } : {} });
    const first = await post(file, key);
    expect(first.status, first.text.slice(0, 300)).to.equal(200);
    expect(first.body).to.deep.include({ confirmed: refs.length - 1, returned: 1, skipped: 0 });
    expect(first.body.returnedLines[0].reason).to.equal('账户已销户');
    const mid = await written(paying.id);
    const again = await post(file, key);
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.equal(first.body);
    expect(await written(paying.id)).to.deep.equal(mid);
    // The same key with another file: a clear 409, nothing written.
    const other = await post(file.replace('账户已销户', '户名不符'), key);
    expect(other.status).to.equal(409);
    expect(errorCode(other)).to.equal('idempotency_conflict');
    expect(await written(paying.id)).to.deep.equal(mid);
    // Without the key the same file is read again and changes nothing (every line settled: skipped).
    const plain = await post(file);
    expect(plain.status).to.equal(200);
    expect(plain.body).to.deep.include({ confirmed: 0, returned: 0, skipped: refs.length });
    expect((await written(paying.id)).entries).to.equal(mid.entries);
  });
});
