import { expect } from 'chai';
import { addDays, shanghaiDate } from '../../src/platform/clock';
import { api, errorCode } from '../support/api';
import { db, donate, financeToken, makeTree, writeCounts } from './support';

/**
 * Overdraft by date (issue 12): no posting may leave a fund's 1001/1002 balance negative at its date or any
 * later date; and no money moves on a date after today (Asia/Shanghai, the service's clock).
 */
describe('ledger: no overdraft at any date, no future dates', () => {
  let fin: string;
  const today = () => shanghaiDate();
  const ago = (n: number) => addDays(today(), -n);
  const pay = (fund: string, amount: string, date: string, account = '1002') =>
    api('POST', '/journal-entries', { token: fin, body: { date, description: 'payment', lines: [{ account: '5101', fund, debit: amount }, { account, fund, credit: amount }] } });
  const allocate = (fromFund: string, toFund: string, amount: string, date: string) =>
    api('POST', '/allocations', { token: fin, body: { fromFund, toFund, amount, date, purpose: 'by-date test' } });
  /** The running 1002 balance of a fund at the end of each day with activity, from the lines. */
  const runningFromLines = async (fund: string, account = '1002') =>
    (await db().raw(
      `SELECT date, sum(sum(debit) - sum(credit)) OVER (ORDER BY date)::text AS closing FROM journal_lines WHERE fund = ? AND account = ? GROUP BY date ORDER BY date`,
      [fund, account],
    )).rows as { date: string; closing: string }[];
  const dayRows = async (fund: string, account = '1002') =>
    (await db()('ledger_daily_balances').where({ fund, account }).orderBy('date').select('date', db().raw('closing::text AS closing'))) as { date: string; closing: string }[];

  before(async () => {
    fin = await financeToken();
  });

  it('an allocation back-dated to before the money arrived → 409 insufficient_funds naming fund, account and date; nothing written', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '100.00', ago(10));
    const before = await writeCounts();
    const r = await allocate(t.cy, t.hd, '50.00', ago(20));
    expect(r.status, r.text).to.equal(409);
    expect(errorCode(r)).to.equal('insufficient_funds');
    expect(r.body.error.details).to.deep.equal({ fund: t.cy, account: '1002', balance: '0.00', required: '50.00', date: ago(20) });
    expect(r.body.error.message).to.include(t.cy).and.include('1002').and.include(ago(20));
    expect(await writeCounts()).to.deep.equal(before);
    expect(await dayRows(t.cy)).to.deep.equal([{ date: ago(10), closing: '100.00' }]);
    // on or after the day the money arrived it passes
    expect((await allocate(t.cy, t.hd, '50.00', ago(10))).status).to.equal(201);
    expect(await dayRows(t.cy)).to.deep.equal(await runningFromLines(t.cy));
  });

  it('a donation dated later than the allocation (not in the future) does not cover it; a future-dated donation is 422 future_date', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '100.00', ago(1));
    const early = await allocate(t.cy, t.hd, '80.00', ago(3));
    expect(early.status, early.text).to.equal(409);
    expect(errorCode(early)).to.equal('insufficient_funds');
    expect(early.body.error.details).to.include({ date: ago(3), balance: '0.00', required: '80.00' });
    expect((await allocate(t.cy, t.hd, '80.00', ago(1))).status).to.equal(201);

    // The attack of the issue: money "from the future" makes a payment today pass.
    const u = await makeTree(fin);
    const before = await writeCounts();
    const future = await api('POST', '/donations', { token: fin, body: { fund: u.cy, amount: '1000.00', date: addDays(today(), 1), donor: { kind: 'individual', anonymous: true } } });
    expect(future.status, future.text).to.equal(422);
    expect(errorCode(future)).to.equal('future_date');
    expect(future.body.error.details).to.deep.equal({ date: addDays(today(), 1), today: today() });
    expect(await writeCounts()).to.deep.equal(before);
    const now = await allocate(u.cy, u.hd, '1000.00', today());
    expect(now.status).to.equal(409);
    expect(errorCode(now)).to.equal('insufficient_funds');
  });

  it('a payment that would make a later day negative is refused with that day, though its own day is covered', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '100.00', ago(9));
    expect((await pay(t.cy, '70.00', ago(5))).status).to.equal(201); // 30 left from day −5 on
    const before = await writeCounts();
    const r = await pay(t.cy, '50.00', ago(8)); // day −8 has 100, but day −5 would have −20
    expect(r.status, r.text).to.equal(409);
    expect(r.body.error.details).to.deep.equal({ fund: t.cy, account: '1002', balance: '30.00', required: '50.00', date: ago(5) });
    expect(await writeCounts()).to.deep.equal(before);
    expect((await pay(t.cy, '30.00', ago(8))).status).to.equal(201);
    expect(await dayRows(t.cy)).to.deep.equal([{ date: ago(9), closing: '100.00' }, { date: ago(8), closing: '70.00' }, { date: ago(5), closing: '0.00' }]);
    expect(await dayRows(t.cy)).to.deep.equal(await runningFromLines(t.cy));
  });

  it('cash (1001) is checked by date too', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '100.00', ago(6));
    const draw = await api('POST', '/journal-entries', { token: fin, body: { date: ago(4), description: 'cash drawn', lines: [{ account: '1001', fund: t.cy, debit: '40.00' }, { account: '1002', fund: t.cy, credit: '40.00' }] } });
    expect(draw.status, draw.text).to.equal(201);
    const r = await pay(t.cy, '10.00', ago(5), '1001');
    expect(r.status).to.equal(409);
    expect(r.body.error.details).to.include({ account: '1001', date: ago(5) });
    expect((await pay(t.cy, '10.00', ago(4), '1001')).status).to.equal(201);
    expect(await dayRows(t.cy, '1001')).to.deep.equal(await runningFromLines(t.cy, '1001'));
  });

  it('a reversal of a donation that would make a past balance negative is refused; nothing written', async () => {
    const t = await makeTree(fin);
    const d = await donate(fin, t.cy, '100.00', ago(5));
    const alloc = await allocate(t.cy, t.hd, '100.00', ago(3));
    expect(alloc.status).to.equal(201);
    const before = await writeCounts();
    const back = await api('POST', `/journal-entries/${d.entryId}/reverse`, { token: fin, body: { date: ago(5), reason: '退回' } });
    expect(back.status, back.text).to.equal(409);
    expect(errorCode(back)).to.equal('insufficient_funds');
    expect(back.body.error.details).to.include({ fund: t.cy, account: '1002', date: ago(3), required: '100.00' });
    const now = await api('POST', `/journal-entries/${d.entryId}/reverse`, { token: fin, body: { reason: '退回' } });
    expect(now.status, now.text).to.equal(409);
    expect(errorCode(now)).to.equal('insufficient_funds');
    expect(await writeCounts()).to.deep.equal(before);
    expect((await api('GET', `/journal-entries/${d.entryId}`, { token: fin })).body.reversedById).to.equal(null);
    // once the allocation is reversed (dated on its own day), the donation can be reversed back-dated
    expect((await api('POST', `/journal-entries/${alloc.body.entryId}/reverse`, { token: fin, body: { date: ago(3), reason: '撤回' } })).status).to.equal(201);
    expect((await api('POST', `/journal-entries/${d.entryId}/reverse`, { token: fin, body: { date: ago(5), reason: '退回' } })).status).to.equal(201);
    expect(await dayRows(t.cy)).to.deep.equal(await runningFromLines(t.cy));
  });

  it('same day: only the end-of-day balance counts, whatever the order the day was entered in', async () => {
    const t = await makeTree(fin);
    const day = ago(2);
    expect((await pay(t.cy, '100.00', day)).status).to.equal(409); // nothing yet that day
    await donate(fin, t.cy, '60.00', day);
    await donate(fin, t.cy, '40.00', day);
    expect((await pay(t.cy, '100.00', day)).status).to.equal(201);
    expect(await dayRows(t.cy)).to.deep.equal([{ date: day, closing: '0.00' }]);
    // an earlier day entered after a later one: the later day's row moves with it
    await donate(fin, t.hd, '25.00', ago(1));
    await donate(fin, t.hd, '25.00', ago(4));
    expect((await pay(t.hd, '50.00', ago(1))).status).to.equal(201);
    expect(await dayRows(t.hd)).to.deep.equal([{ date: ago(4), closing: '25.00' }, { date: ago(1), closing: '0.00' }]);
  });

  it('a posting dated today still works and writes one day row', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '10.00', today());
    const r = await pay(t.cy, '10.00', today());
    expect(r.status, r.text).to.equal(201);
    expect(await dayRows(t.cy)).to.deep.equal([{ date: today(), closing: '0.00' }]);
    const bal = await api('GET', `/funds/${t.cy}/balance`, { token: fin });
    expect(bal.body.bank).to.equal('0.00');
  });

  it('future dates → 422 future_date {date, today} for entries, donations, allocations and reversals; nothing written', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '100.00', today());
    const e = await pay(t.cy, '1.00', today());
    const tomorrow = addDays(today(), 1);
    const requests: [string, string, unknown][] = [
      ['POST', '/journal-entries', { date: tomorrow, description: 'x', lines: [{ account: '1002', fund: t.cy, debit: '1.00' }, { account: '4101', fund: t.cy, credit: '1.00' }] }],
      ['POST', '/journal-entries', { date: '2099-12-31', description: 'x', lines: [{ account: '1002', fund: t.cy, debit: '1.00' }, { account: '4101', fund: t.cy, credit: '1.00' }] }],
      ['POST', '/donations', { fund: t.cy, amount: '1.00', date: tomorrow, donor: { kind: 'individual', anonymous: true } }],
      ['POST', '/allocations', { fromFund: t.cy, toFund: t.hd, amount: '1.00', date: tomorrow, purpose: 'x' }],
      ['POST', `/journal-entries/${e.body.id}/reverse`, { date: tomorrow, reason: 'x' }],
    ];
    for (const [method, path, body] of requests) {
      const before = await writeCounts();
      const r = await api(method, path, { token: fin, body });
      expect(r.status, `${path} ${r.text}`).to.equal(422);
      expect(errorCode(r)).to.equal('future_date');
      expect(r.body.error.details).to.deep.equal({ date: (body as { date: string }).date, today: today() });
      expect(await writeCounts()).to.deep.equal(before);
    }
  });

  it('the database itself refuses a negative day balance and a day row for another account', async () => {
    const t = await makeTree(fin);
    await donate(fin, t.cy, '5.00', ago(1));
    for (const sql of [
      `UPDATE ledger_daily_balances SET closing = -0.01 WHERE fund = '${t.cy}'`,
      `INSERT INTO ledger_daily_balances (account, fund, date, closing) VALUES ('4101', '${t.cy}', '${ago(1)}', 1)`,
    ]) {
      let failed = false;
      try {
        await db().raw(sql);
      } catch {
        failed = true;
      }
      expect(failed, sql).to.equal(true);
    }
    const c = await db().raw(`SELECT convalidated FROM pg_constraint WHERE conname = 'ledger_daily_balances_no_overdraft'`);
    expect(c.rows[0].convalidated).to.equal(true);
  });
});
