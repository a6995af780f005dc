import { expect } from 'chai';
import { api, auditSeq, errorCode, userToken } from '../support/api';
import { balancesMatchLines, db, donate, financeToken, makeTree, today } from './support';

describe('ledger: funds, entries, reversals, donations, allocations, statements', () => {
  let fin: string;
  let auditor: string;
  let tree: { root: string; cy: string; hd: string };
  before(async () => {
    fin = await financeToken();
    auditor = (await userToken(['auditor'])).token;
    tree = await makeTree(fin);
  });

  it('lists the chart of accounts with types and normal sides', async () => {
    const r = await api('GET', '/accounts', { token: auditor });
    expect(r.status).to.equal(200);
    const byCode = new Map(r.body.items.map((a: any) => [a.code, a]));
    for (const code of ['1001', '1002', '1122', '2209', '3101', '3102', '4101', '4401', '4601', '4901', '4902', '5101', '5201', '5401', '5402', '1009', '1101', '1121', '1141', '1201', '1301', '1501', '1502', '2101', '2202', '2204', '2206', '2601', '4201', '4301', '5301']) {
      expect(byCode.has(code), code).to.equal(true);
    }
    expect(byCode.get('1002')).to.include({ type: 'asset', normalSide: 'debit', nameZh: '银行存款' });
    expect(byCode.get('1502')).to.include({ type: 'asset', normalSide: 'credit' });
    expect(byCode.get('4101')).to.include({ type: 'income', normalSide: 'credit' });
  });

  it('creates and lists the fund tree; refuses a duplicate, an unknown parent and a bad tree', async () => {
    const list = await api('GET', `/funds?parent=${tree.root}`, { token: auditor });
    expect(list.body.items.map((f: any) => f.code)).to.deep.equal([tree.cy, tree.hd]);
    expect(list.body.items[0]).to.include({ kind: 'district', district: 'CY', parentCode: tree.root, restricted: false });
    const eg = await api('POST', '/funds', { token: fin, body: { code: `${tree.cy}-EG1`, nameZh: '某集团工会基金', nameEn: 'Enterprise group fund', kind: 'enterprise_group', parentCode: tree.cy, restricted: true } });
    expect(eg.status, eg.text).to.equal(201);
    expect(eg.body).to.include({ district: 'CY', restricted: true });
    const dup = await api('POST', '/funds', { token: fin, body: { code: tree.cy, nameZh: 'x', nameEn: 'x', kind: 'district', parentCode: tree.root, district: 'CY' } });
    expect(dup.status).to.equal(409);
    expect(errorCode(dup)).to.equal('duplicate_fund');
    const orphan = await api('POST', '/funds', { token: fin, body: { code: `${tree.root}-X`, nameZh: 'x', nameEn: 'x', kind: 'district', parentCode: 'NOPE', district: 'CY' } });
    expect(orphan.status).to.equal(400);
    const officer = (await userToken(['officer'], 'CY')).token;
    expect((await api('POST', '/funds', { token: officer, body: {} })).status).to.equal(403);
    expect((await api('GET', '/funds', { token: officer })).status).to.equal(200);
  });

  it('posts a balanced entry with a gapless yearly number and reads it back', async () => {
    await donate(fin, tree.cy, '1000.00', today());
    const a = await api('POST', '/journal-entries', { token: fin, body: { date: today(), description: '办公用品', lines: [{ account: '5201', fund: tree.cy, debit: '10.00', memo: '纸' }, { account: '1002', fund: tree.cy, credit: '10.00' }] } });
    expect(a.status, a.text).to.equal(201);
    expect(a.body.number).to.match(new RegExp(`^${today().slice(0, 4)}-\\d{6}$`));
    const b = await api('POST', '/journal-entries', { token: fin, body: { date: today(), description: '办公用品', lines: [{ account: '5201', fund: tree.cy, debit: '1.00' }, { account: '1001', fund: tree.cy, debit: '0.00' }].slice(0, 1).concat([{ account: '1002', fund: tree.cy, credit: '1.00' } as any]) } });
    expect(b.status, b.text).to.equal(201);
    expect(Number(b.body.number.slice(5))).to.equal(Number(a.body.number.slice(5)) + 1);
    const got = await api('GET', `/journal-entries/${a.body.id}`, { token: auditor });
    expect(got.body.lines).to.have.length(2);
    expect(got.body.lines[0]).to.include({ account: '5201', fund: tree.cy, debit: '10.00', credit: null, memo: '纸' });
    const list = await api('GET', `/journal-entries?fund=${tree.cy}&account=5201&limit=1`, { token: auditor });
    expect(list.body.items).to.have.length(1);
    expect(list.body.items[0].id).to.equal(b.body.id);
    const next = await api('GET', `/journal-entries?fund=${tree.cy}&account=5201&limit=1&cursor=${list.body.nextCursor}`, { token: auditor });
    expect(next.body.items[0].id).to.equal(a.body.id);
    const bal = await api('GET', `/funds/${tree.cy}/balance`, { token: auditor });
    expect(bal.body).to.deep.equal({ fund: tree.cy, asOf: today(), cash: '0.00', bank: '989.00', aidPayable: '0.00', available: '989.00' });
  });

  it('numbers are gapless per year even across refused postings', async () => {
    const k = db();
    const year = today().slice(0, 4);
    const rows = await k('journal_entries').where('number', 'like', `${year}-%`).orderBy('number').pluck('number');
    rows.forEach((num: string, i: number) => expect(num).to.equal(`${year}-${String(i + 1).padStart(6, '0')}`));
  });

  it('entries and lines cannot be updated or deleted (database trigger)', async () => {
    const k = db();
    const e = await k('journal_entries').first();
    for (const sql of [`UPDATE journal_entries SET description = 'x' WHERE id = ${e.id}`, `DELETE FROM journal_lines WHERE entry_id = ${e.id}`, `UPDATE ledger_balances SET credit_total = debit_total + 1 WHERE account = '1002' AND debit_total > 0`]) {
      let failed = false;
      try {
        await k.raw(sql);
      } catch {
        failed = true;
      }
      expect(failed, sql).to.equal(true);
    }
  });

  it('reverses an entry once; a second reversal is 409 invalid_state', async () => {
    const e = await api('POST', '/journal-entries', { token: fin, body: { date: today(), description: '错账', lines: [{ account: '5401', fund: tree.cy, debit: '5.00' }, { account: '1002', fund: tree.cy, credit: '5.00' }] } });
    const r = await api('POST', `/journal-entries/${e.body.id}/reverse`, { token: fin, body: { date: today(), reason: '录入错误' } });
    expect(r.status, r.text).to.equal(201);
    expect(r.body).to.include({ source: 'reversal', reversesId: e.body.id, sourceRef: e.body.number });
    expect(r.body.lines[0]).to.include({ account: '5401', credit: '5.00', debit: null });
    const again = await api('POST', `/journal-entries/${e.body.id}/reverse`, { token: fin, body: { date: today(), reason: 'again' } });
    expect(again.status).to.equal(409);
    expect(errorCode(again)).to.equal('invalid_state');
    const orig = await api('GET', `/journal-entries/${e.body.id}`, { token: fin });
    expect(orig.body.reversedById).to.equal(r.body.id);
  });

  it('a donation posts Dr 1002 / Cr 4101 and the public log masks an individual donor', async () => {
    const before = await auditSeq();
    const d = await api('POST', '/donations', { token: fin, body: { fund: tree.hd, amount: '500.00', date: today(), donor: { name: '张三明', kind: 'individual', anonymous: false } } });
    expect(d.status, d.text).to.equal(201);
    expect(d.body.entry.lines.map((l: any) => [l.account, l.debit, l.credit])).to.deep.equal([['1002', '500.00', null], ['4101', null, '500.00']]);
    const anon = await api('POST', '/donations', { token: fin, body: { fund: tree.hd, amount: '1.00', date: today(), donor: { kind: 'individual', anonymous: true } } });
    expect(anon.status, anon.text).to.equal(201);
    const log = await api('GET', `/public/log?after=${before}`);
    expect(log.body.items).to.have.length(2);
    expect(log.text).to.include('张*明').and.not.include('张三明');
    expect(log.body.items[0].action).to.equal('ledger.donation_received');
    expect(log.body.items[1].publicPayload.donor).to.equal('匿名');
  });

  it('an allocation moves money down the tree; one the source cannot cover is 409 insufficient_funds', async () => {
    const a = await api('POST', '/allocations', { token: fin, body: { fromFund: tree.hd, toFund: tree.cy, amount: '200.00', date: today(), purpose: '下拨' } });
    expect(a.status, a.text).to.equal(201);
    expect(a.body.entry.lines.map((l: any) => `${l.fund}:${l.account}:${l.debit ?? '-' + l.credit}`)).to.deep.equal([
      `${tree.hd}:5402:200.00`, `${tree.hd}:1002:-200.00`, `${tree.cy}:1002:200.00`, `${tree.cy}:4902:-200.00`,
    ]);
    const big = await api('POST', '/allocations', { token: fin, body: { fromFund: tree.hd, toFund: tree.cy, amount: '100000.00', date: today(), purpose: '下拨' } });
    expect(big.status).to.equal(409);
    expect(errorCode(big)).to.equal('insufficient_funds');
  });

  it('statements: trial balance balances, financial position balances, consolidated activities eliminate transfers', async () => {
    const tb = await api('GET', `/reports/trial-balance?asOf=${today()}`, { token: auditor });
    expect(tb.status).to.equal(200);
    expect(tb.body.totals.debit).to.equal(tb.body.totals.credit);
    const tbCy = await api('GET', `/reports/trial-balance?fund=${tree.cy}`, { token: auditor });
    expect(tbCy.body.totals.debit).to.equal(tbCy.body.totals.credit);
    expect(tbCy.body.rows.every((r: any) => r.fund === tree.cy)).to.equal(true);
    const fp = await api('GET', `/reports/financial-position?fund=${tree.root}&subtree=true`, { token: auditor });
    expect(fp.body.totals.assets).to.equal(fp.body.totals.liabilitiesAndNetAssets);
    const sub = await api('GET', `/reports/activities?from=${today().slice(0, 4)}-01-01&to=${today()}&fund=${tree.root}&subtree=true`, { token: auditor });
    expect(sub.body.income.map((r: any) => r.account)).to.not.include('4902');
    expect(sub.body.expenses.map((r: any) => r.account)).to.not.include('5402');
    expect(sub.body.eliminated).to.deep.equal({ transfersIn: '200.00', transfersOut: '200.00' });
    const one = await api('GET', `/reports/activities?from=${today().slice(0, 4)}-01-01&to=${today()}&fund=${tree.cy}`, { token: auditor });
    expect(one.body.income.map((r: any) => r.account)).to.include('4902');
    const cons = await api('GET', `/reports/activities?from=2000-01-01&to=${today()}`, { token: auditor });
    expect(cons.status).to.equal(200);
    expect(cons.body.income.map((r: any) => r.account)).to.not.include('4902');
  });

  it('balance as of an earlier date reads the lines; maintained balances equal the lines', async () => {
    const bal = await api('GET', `/funds/${tree.cy}/balance?asOf=2000-01-01`, { token: fin });
    expect(bal.body).to.include({ bank: '0.00', available: '0.00' });
    expect(await balancesMatchLines()).to.deep.equal([]);
    const approver = (await userToken(['approver'])).token;
    expect((await api('GET', `/funds/${tree.cy}/balance`, { token: approver })).status).to.equal(200);
    const officer = (await userToken(['officer'], 'HD')).token;
    expect((await api('GET', `/funds/${tree.cy}/balance`, { token: officer })).status).to.equal(403);
    expect((await api('GET', '/funds/NOPE/balance', { token: fin })).status).to.equal(404);
  });

  it('a reversal into a month closed later is dated in the first open period; closing is in order', async () => {
    // Year 2000 is used only here: closing months is global to the ledger.
    const t = await makeTree(fin);
    await donate(fin, t.cy, '100.00', '2000-01-10');
    const e = await api('POST', '/journal-entries', { token: fin, body: { date: '2000-01-15', description: 'x', lines: [{ account: '5101', fund: t.cy, debit: '10.00' }, { account: '1002', fund: t.cy, credit: '10.00' }] } });
    expect(e.status, e.text).to.equal(201);
    const early = await api('POST', '/periods/2000-02/close', { token: fin });
    expect(early.status).to.equal(409);
    expect(errorCode(early)).to.equal('invalid_state');
    const c = await api('POST', '/periods/2000-01/close', { token: fin });
    expect(c.status, c.text).to.equal(200);
    expect(c.body).to.include({ period: '2000-01', status: 'closed' });
    const p = await api('GET', '/periods?year=2000', { token: auditor });
    expect(p.body.items[0]).to.include({ period: '2000-01', status: 'closed' });
    expect(p.body.items[1]).to.include({ period: '2000-02', status: 'open' });
    const rv = await api('POST', `/journal-entries/${e.body.id}/reverse`, { token: fin, body: { date: '2000-01-20', reason: '更正' } });
    expect(rv.status, rv.text).to.equal(201);
    expect(rv.body.date).to.equal('2000-02-01');
    expect(rv.body.number).to.match(/^2000-/);
  });
});
