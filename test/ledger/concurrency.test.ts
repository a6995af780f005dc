import { expect } from 'chai';
import { api, errorCode } from '../support/api';
import { balancesMatchLines, db, donate, financeToken, makeTree, today } from './support';

describe('ledger: no overdraft and idempotency under concurrency', () => {
  let fin: string;
  before(async () => {
    fin = await financeToken();
  });

  it('64 concurrent payments from a fund that covers 23 of them: exactly 23 succeed, the balance ends ≥ 0 and equals the lines', async () => {
    const tree = await makeTree(fin);
    await donate(fin, tree.cy, '1000.00', today()); // covers 23 × 43.00 = 989.00, not 24
    const pay = (i: number) =>
      api('POST', '/journal-entries', { token: fin, body: { date: today(), description: `payment ${i}`, lines: [{ account: '5101', fund: tree.cy, debit: '43.00' }, { account: '1002', fund: tree.cy, credit: '43.00' }] } });
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => pay(i)));
    const ok = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    expect(ok.length + refused.length, results.filter((r) => r.status !== 201 && r.status !== 409).map((r) => r.text).join('\n')).to.equal(64);
    expect(ok.length).to.equal(23);
    for (const r of refused) expect(errorCode(r)).to.equal('insufficient_funds');
    const bal = await api('GET', `/funds/${tree.cy}/balance`, { token: fin });
    expect(bal.body.bank).to.equal('11.00');
    expect(await balancesMatchLines([tree.cy])).to.deep.equal([]);
    const numbers = ok.map((r) => r.body.number as string);
    expect(new Set(numbers).size).to.equal(23);
  });

  it('concurrent allocations out of one fund and payments from both never overdraw either', async () => {
    const tree = await makeTree(fin);
    await donate(fin, tree.hd, '500.00', today());
    const jobs = Array.from({ length: 40 }, (_, i) =>
      i % 2
        ? api('POST', '/allocations', { token: fin, body: { fromFund: tree.hd, toFund: tree.cy, amount: '30.00', date: today(), purpose: `a${i}` } })
        : api('POST', '/journal-entries', { token: fin, body: { date: today(), description: `p${i}`, lines: [{ account: '5101', fund: tree.cy, debit: '20.00' }, { account: '1002', fund: tree.cy, credit: '20.00' }] } }),
    );
    const results = await Promise.all(jobs);
    expect(results.every((r) => r.status === 201 || r.status === 409), results.map((r) => r.status).join(',')).to.equal(true);
    for (const f of [tree.cy, tree.hd]) {
      const bal = await api('GET', `/funds/${f}/balance`, { token: fin });
      expect(Number(bal.body.bank)).to.be.at.least(0);
    }
    expect(await balancesMatchLines([tree.cy, tree.hd])).to.deep.equal([]);
  });

  it('20 concurrent retries of one idempotent request create exactly one entry and all get the same answer', async () => {
    const tree = await makeTree(fin);
    await donate(fin, tree.cy, '100.00', today());
    const key = `retry-${Date.now()}`;
    const description = `idempotent ${key}`;
    const body = { date: today(), description, lines: [{ account: '5101', fund: tree.cy, debit: '7.00' }, { account: '1002', fund: tree.cy, credit: '7.00' }] };
    const results = await Promise.all(Array.from({ length: 20 }, () => api('POST', '/journal-entries', { token: fin, body, headers: { 'Idempotency-Key': key } })));
    expect(results.map((r) => r.status)).to.deep.equal(Array(20).fill(201));
    expect(new Set(results.map((r) => r.body.id)).size).to.equal(1);
    const count = await db()('journal_entries').where({ description }).count('* as c').first();
    expect(Number(count!.c)).to.equal(1);
    const bal = await api('GET', `/funds/${tree.cy}/balance`, { token: fin });
    expect(bal.body.bank).to.equal('93.00');
  });

  it('20 concurrent retries of one donation with the key in the body: one donation', async () => {
    const tree = await makeTree(fin);
    const key = `don-${Date.now()}`;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => api('POST', '/donations', { token: fin, body: { fund: tree.cy, amount: '50.00', date: today(), donor: { name: '李四', kind: 'individual', anonymous: false }, idempotencyKey: key } })),
    );
    expect(results.every((r) => r.status === 201)).to.equal(true);
    expect(new Set(results.map((r) => r.body.id)).size).to.equal(1);
    const bal = await api('GET', `/funds/${tree.cy}/balance`, { token: fin });
    expect(bal.body.bank).to.equal('50.00');
  });
});
