import { expect } from 'chai';
import { api, errorCode } from '../support/api';
import { donate, financeToken, makeTree, today, writeCounts } from './support';

/** Every refusal answers its 4xx with the design's error code and writes nothing: no entry, line, balance change or audit row. */
describe('ledger: every rejection path writes nothing', () => {
  let fin: string;
  let tree: { root: string; cy: string; hd: string };
  let entryId: number;
  const entry = (lines: unknown[], extra: Record<string, unknown> = {}) => ({ date: today(), description: 'test', lines, ...extra });

  before(async () => {
    fin = await financeToken();
    tree = await makeTree(fin);
    await donate(fin, tree.cy, '100.00', today());
    const e = await api('POST', '/journal-entries', { token: fin, body: entry([{ account: '5101', fund: tree.cy, debit: '1.00' }, { account: '1002', fund: tree.cy, credit: '1.00' }]) });
    entryId = e.body.id;
    const r = await api('POST', `/journal-entries/${entryId}/reverse`, { token: fin, body: { reason: 'first' } });
    expect(r.status, r.text).to.equal(201);
    // A closed month to post into (year 2000 only; see ledger.test.ts). Close January if nobody did yet.
    const periods = await api('GET', '/periods?year=2000', { token: fin });
    if (periods.body.items[0]?.status !== 'closed') {
      await donate(fin, tree.hd, '1.00', '2000-01-05');
      const c = await api('POST', '/periods/2000-01/close', { token: fin });
      expect(c.status, c.text).to.equal(200);
    }
  });

  const cases: [string, number, string, () => [string, string, unknown, Record<string, string>?]][] = [];
  const L = (account: string, fund: string, side: 'debit' | 'credit', amount: unknown) => ({ account, fund, [side]: amount });
  const add = (name: string, status: number, code: string, req: () => [string, string, unknown, Record<string, string>?]) => cases.push([name, status, code, req]);

  add('unbalanced entry', 422, 'unbalanced_entry', () => ['POST', '/journal-entries', entry([L('5101', tree.cy, 'debit', '2.00'), L('1002', tree.cy, 'credit', '1.00')])]);
  add('balanced overall but not per fund', 422, 'unbalanced_entry', () => ['POST', '/journal-entries', entry([L('5101', tree.cy, 'debit', '1.00'), L('1002', tree.hd, 'credit', '1.00')])]);
  add('amount as a JSON number', 400, 'validation_failed', () => ['POST', '/journal-entries', entry([L('5101', tree.cy, 'debit', 1), L('1002', tree.cy, 'credit', 1)])]);
  add('amount with 3 decimals', 400, 'validation_failed', () => ['POST', '/journal-entries', entry([L('5101', tree.cy, 'debit', '1.001'), L('1002', tree.cy, 'credit', '1.001')])]);
  add('negative amount', 400, 'validation_failed', () => ['POST', '/journal-entries', entry([L('5101', tree.cy, 'debit', '-1.00'), L('1002', tree.cy, 'credit', '-1.00')])]);
  add('zero amount', 400, 'validation_failed', () => ['POST', '/journal-entries', entry([L('5101', tree.cy, 'debit', '0.00'), L('1002', tree.cy, 'credit', '0.00')])]);
  add('line with debit and credit', 400, 'validation_failed', () => ['POST', '/journal-entries', entry([{ account: '5101', fund: tree.cy, debit: '1.00', credit: '1.00' }, L('1002', tree.cy, 'credit', '1.00')])]);
  add('line with neither', 400, 'validation_failed', () => ['POST', '/journal-entries', entry([{ account: '5101', fund: tree.cy }, L('1002', tree.cy, 'credit', '1.00')])]);
  add('one line only', 400, 'validation_failed', () => ['POST', '/journal-entries', entry([L('5101', tree.cy, 'debit', '1.00')])]);
  add('201 lines', 400, 'validation_failed', () => ['POST', '/journal-entries', entry(Array.from({ length: 201 }, (_, i) => L(i % 2 ? '1002' : '5101', tree.cy, i % 2 ? 'credit' : 'debit', '1.00')))]);
  add('description over 500 characters', 400, 'validation_failed', () => ['POST', '/journal-entries', entry([L('5101', tree.cy, 'debit', '1.00'), L('1002', tree.cy, 'credit', '1.00')], { description: 'x'.repeat(501) })]);
  add('unknown account', 400, 'validation_failed', () => ['POST', '/journal-entries', entry([L('5999', tree.cy, 'debit', '1.00'), L('1002', tree.cy, 'credit', '1.00')])]);
  add('unknown fund', 400, 'validation_failed', () => ['POST', '/journal-entries', entry([L('5101', 'NOPE-X', 'debit', '1.00'), L('1002', 'NOPE-X', 'credit', '1.00')])]);
  add('unknown field', 400, 'validation_failed', () => ['POST', '/journal-entries', entry([L('5101', tree.cy, 'debit', '1.00'), L('1002', tree.cy, 'credit', '1.00')], { source: 'aid' })]);
  add('closed period', 409, 'period_closed', () => ['POST', '/journal-entries', entry([L('5101', tree.cy, 'debit', '1.00'), L('1002', tree.cy, 'credit', '1.00')], { date: '2000-01-31' })]);
  add('overdraft of bank', 409, 'insufficient_funds', () => ['POST', '/journal-entries', entry([L('5101', tree.cy, 'debit', '1000.00'), L('1002', tree.cy, 'credit', '1000.00')])]);
  add('overdraft of cash', 409, 'insufficient_funds', () => ['POST', '/journal-entries', entry([L('5101', tree.cy, 'debit', '0.01'), L('1001', tree.cy, 'credit', '0.01')])]);
  add('double reversal', 409, 'invalid_state', () => ['POST', `/journal-entries/${entryId}/reverse`, { reason: 'again' }]);
  add('reverse an unknown entry', 404, 'not_found', () => ['POST', '/journal-entries/999999999/reverse', { reason: 'x' }]);
  add('allocation the source cannot cover', 409, 'insufficient_funds', () => ['POST', '/allocations', { fromFund: tree.hd, toFund: tree.cy, amount: '999.00', date: today(), purpose: 'x' }]);
  add('allocation to itself', 400, 'validation_failed', () => ['POST', '/allocations', { fromFund: tree.cy, toFund: tree.cy, amount: '1.00', date: today(), purpose: 'x' }]);
  add('donation to an unknown fund', 400, 'validation_failed', () => ['POST', '/donations', { fund: 'NOPE', amount: '1.00', date: today(), donor: { kind: 'individual', anonymous: true } }]);
  add('donation amount as a number', 400, 'validation_failed', () => ['POST', '/donations', { fund: tree.cy, amount: 1, date: today(), donor: { kind: 'individual', anonymous: true } }]);
  add('named donation without a name', 400, 'validation_failed', () => ['POST', '/donations', { fund: tree.cy, amount: '1.00', date: today(), donor: { kind: 'individual', anonymous: false } }]);
  add('close a month while an earlier one is open', 409, 'invalid_state', () => ['POST', '/periods/2000-03/close', {}]);
  add('close a closed month', 409, 'invalid_state', () => ['POST', '/periods/2000-01/close', {}]);
  add('bad date', 400, 'validation_failed', () => ['POST', '/journal-entries', entry([L('5101', tree.cy, 'debit', '1.00'), L('1002', tree.cy, 'credit', '1.00')], { date: '2026-02-30' })]);

  for (const [name, status, code, req] of cases) {
    it(`${name} → ${status} ${code}`, async () => {
      const before = await writeCounts();
      const [method, path, body, headers] = req();
      const r = await api(method, path, { token: fin, body, headers });
      expect(r.status, r.text).to.equal(status);
      expect(errorCode(r)).to.equal(code);
      expect(await writeCounts()).to.deep.equal(before);
    });
  }

  it('idempotency: the same key with a different body → 409 idempotency_conflict, nothing written', async () => {
    const key = `k-${Date.now()}`;
    const body = entry([L('5101', tree.cy, 'debit', '1.00'), L('1002', tree.cy, 'credit', '1.00')]);
    const first = await api('POST', '/journal-entries', { token: fin, body, headers: { 'Idempotency-Key': key } });
    expect(first.status, first.text).to.equal(201);
    const replay = await api('POST', '/journal-entries', { token: fin, body, headers: { 'Idempotency-Key': key } });
    expect(replay.status).to.equal(201);
    expect(replay.body).to.deep.equal(first.body);
    const before = await writeCounts();
    const other = await api('POST', '/journal-entries', { token: fin, body: { ...body, description: 'different' }, headers: { 'Idempotency-Key': key } });
    expect(other.status).to.equal(409);
    expect(errorCode(other)).to.equal('idempotency_conflict');
    expect(await writeCounts()).to.deep.equal(before);
    // the key may also come in the body
    const viaBody = await api('POST', '/journal-entries', { token: fin, body: { ...body, idempotencyKey: key } });
    expect(viaBody.body).to.deep.equal(first.body);
  });
});
