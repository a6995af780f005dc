import { expect } from 'chai';
import fc from 'fast-check';
import { addDays, shanghaiDate } from '../../src/platform/clock';
import { api } from '../support/api';
import { balancesMatchLines, db, financeToken, makeTree } from './support';

/**
 * Random sequences of valid and invalid postings, donations, allocations and reversals, sent over HTTP, each
 * dated a random day of the last three weeks (in random order: back-dated entries after later ones).
 * After every sequence: the trial balance balances (consolidated and per fund), every fund balances,
 * no 1001/1002 balance is negative — in total and at the end of every day, from the lines — the day
 * balances equal the running balances from the lines, and the maintained balances equal the sums of the lines.
 */
describe('ledger: properties (fast-check)', () => {
  let fin: string;
  before(async () => {
    fin = await financeToken();
  });

  const amount = fc.integer({ min: 1, max: 50_000 }).map((c) => (c / 100).toFixed(2));
  const fundIx = fc.integer({ min: 0, max: 2 });
  const ago = fc.integer({ min: 0, max: 20 }); // days before today
  const op = fc.oneof(
    fc.record({ kind: fc.constant('donate' as const), fund: fundIx, amount, ago }),
    fc.record({ kind: fc.constant('allocate' as const), from: fundIx, to: fundIx, amount, ago }),
    fc.record({ kind: fc.constant('pay' as const), fund: fundIx, amount, cash: fc.boolean(), ago }),
    fc.record({ kind: fc.constant('multi' as const), a: fundIx, b: fundIx, amount, ago }),
    fc.record({ kind: fc.constant('unbalanced' as const), fund: fundIx, amount, ago }),
    fc.record({ kind: fc.constant('badAmount' as const), fund: fundIx, raw: fc.oneof(fc.constant<unknown>(1.5), fc.constant('1.005'), fc.constant('-3.00'), fc.constant('0'), fc.string({ maxLength: 6 }).filter((x) => !/^[1-9]\d*(\.\d{1,2})?$|^0\.(0[1-9]|[1-9]\d?)$/.test(x))), ago }),
    fc.record({ kind: fc.constant('reverse' as const), which: fc.nat(20), ago: fc.option(ago) }),
  );

  /** Every (account, fund, day) whose running 1001/1002 balance, computed from the lines, is negative. */
  const negativeDays = async (funds: string[]) =>
    (await db().raw(
      `SELECT * FROM (SELECT account, fund, date, sum(sum(debit) - sum(credit)) OVER (PARTITION BY account, fund ORDER BY date) AS closing
                        FROM journal_lines WHERE account IN ('1001','1002') AND fund = ANY(?) GROUP BY account, fund, date) r
        WHERE closing < 0`,
      [funds],
    )).rows as unknown[];
  /** Day rows that differ from the running balance computed from the lines (missing or extra rows included). */
  const dayRowsOffLines = async (funds: string[]) =>
    (await db().raw(
      `WITH run AS (SELECT account, fund, date, sum(sum(debit) - sum(credit)) OVER (PARTITION BY account, fund ORDER BY date) AS closing
                      FROM journal_lines WHERE account IN ('1001','1002') AND fund = ANY(?) GROUP BY account, fund, date),
            day AS (SELECT account, fund, date, closing FROM ledger_daily_balances WHERE fund = ANY(?))
       SELECT account, fund, date, run.closing AS from_lines, day.closing AS day_row
         FROM run FULL JOIN day USING (account, fund, date) WHERE run.closing IS DISTINCT FROM day.closing`,
      [funds, funds],
    )).rows as unknown[];

  it('trial balance balances, funds balance, no negative cash/bank, balances = lines', async () => {
    const k = db();
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
        const t = await makeTree(fin);
        const funds = [t.root, t.cy, t.hd];
        const posted: number[] = [];
        const today = shanghaiDate();
        for (const o of ops) {
          const d = addDays(today, -(o.ago ?? 0));
          let r;
          if (o.kind === 'donate') {
            r = await api('POST', '/donations', { token: fin, body: { fund: funds[o.fund], amount: o.amount, date: d, donor: { kind: 'individual', anonymous: true } } });
            expect(r.status, r.text).to.equal(201);
          } else if (o.kind === 'allocate') {
            r = await api('POST', '/allocations', { token: fin, body: { fromFund: funds[o.from], toFund: funds[o.to], amount: o.amount, date: d, purpose: 'p' } });
            expect(r.status, r.text).to.be.oneOf(o.from === o.to ? [400] : [201, 409]);
          } else if (o.kind === 'pay') {
            r = await api('POST', '/journal-entries', { token: fin, body: { date: d, description: 'pay', lines: [{ account: '5101', fund: funds[o.fund], debit: o.amount }, { account: o.cash ? '1001' : '1002', fund: funds[o.fund], credit: o.amount }] } });
            expect(r.status, r.text).to.be.oneOf([201, 409]);
          } else if (o.kind === 'multi') {
            // a 6-line entry over two funds: in each, bank pays a cent of expense and moves the rest to cash
            const plus = (Number(o.amount) + 0.01).toFixed(2);
            const balanced = [o.a, o.b].flatMap((f) => [
              { account: '5201', fund: funds[f], debit: '0.01' }, { account: '1001', fund: funds[f], debit: o.amount }, { account: '1002', fund: funds[f], credit: plus },
            ]);
            r = await api('POST', '/journal-entries', { token: fin, body: { date: d, description: 'multi', lines: balanced } });
            expect(r.status, r.text).to.be.oneOf([201, 409]);
          } else if (o.kind === 'unbalanced') {
            r = await api('POST', '/journal-entries', { token: fin, body: { date: d, description: 'bad', lines: [{ account: '5101', fund: funds[o.fund], debit: o.amount }, { account: '4101', fund: funds[o.fund], debit: o.amount }] } });
            expect(r.status).to.equal(422);
          } else if (o.kind === 'badAmount') {
            r = await api('POST', '/journal-entries', { token: fin, body: { date: d, description: 'bad', lines: [{ account: '5101', fund: funds[o.fund], debit: o.raw }, { account: '1002', fund: funds[o.fund], credit: o.raw }] } });
            expect(r.status).to.equal(400);
          } else {
            if (!posted.length) continue;
            // no date: today; a date before the original's: 400
            r = await api('POST', `/journal-entries/${posted[o.which % posted.length]}/reverse`, { token: fin, body: { reason: 'prop', ...(o.ago === null ? {} : { date: d }) } });
            expect(r.status, r.text).to.be.oneOf([201, 400, 409]);
          }
          if (r.status === 201) posted.push(r.body.entry?.id ?? r.body.id);
        }
        const tb = await api('GET', '/reports/trial-balance', { token: fin });
        expect(tb.status).to.equal(200);
        expect(tb.body.totals.debit).to.equal(tb.body.totals.credit);
        for (const f of funds) {
          const one = await api('GET', `/reports/trial-balance?fund=${f}`, { token: fin });
          expect(one.body.totals.debit, f).to.equal(one.body.totals.credit);
          const bal = await api('GET', `/funds/${f}/balance`, { token: fin });
          expect(Number(bal.body.cash)).to.be.at.least(0);
          expect(Number(bal.body.bank)).to.be.at.least(0);
        }
        const neg = await k('ledger_balances').whereIn('account', ['1001', '1002']).whereRaw('debit_total < credit_total').count('* as c').first();
        expect(Number(neg!.c)).to.equal(0);
        expect(await balancesMatchLines(funds)).to.deep.equal([]);
        expect(await negativeDays(funds)).to.deep.equal([]);
        expect(await dayRowsOffLines(funds)).to.deep.equal([]);
      }),
      { numRuns: 12 },
    );
  });
});
